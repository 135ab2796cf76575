; Inno Setup script: a Windows installer around the one-folder bundle (issue 22).
; Build the bundle first on Windows (python packaging\build.py), then compile this file with
; Inno Setup 6 (iscc packaging\installer.iss). The installer copies dist\hospital-app\ into
; Program Files, adds Start-menu shortcuts and an uninstaller. Data stay in the user's
; AppData folder (platformdirs) and are never removed by the uninstaller.

#define AppName "集采执行助手"
#define AppVersion "0.1.0"
#define AppExe "hospital-app-gui.exe"

[Setup]
AppId={{6F1C2B4E-3A7D-4E59-9B8A-0C5D2E7F4A11}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=医院药学部
DefaultDirName={autopf}\hospital-app
DefaultGroupName={#AppName}
OutputDir=..\dist
OutputBaseFilename=hospital-app-{#AppVersion}-setup
Compression=lzma2
SolidCompression=yes
ArchitecturesInstallIn64BitMode=x64compatible
PrivilegesRequiredOverridesAllowed=dialog
UninstallDisplayIcon={app}\{#AppExe}

[Languages]
Name: "chinesesimplified"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
Name: "english"; MessagesFile: "compiler:Default.isl"

[Files]
Source: "..\dist\hospital-app\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs ignoreversion

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{group}\卸载 {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "在桌面创建快捷方式"; Flags: unchecked

[Run]
Filename: "{app}\{#AppExe}"; Description: "启动 {#AppName}"; Flags: nowait postinstall skipifsilent

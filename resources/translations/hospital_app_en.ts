<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="zh_CN">
<context>
    <name></name>
    <message numerus="yes">
        <location filename="../../ui/worker.py" line="154"/>
        <source>无法访问文件：{f}</source>
        <comment>Cannot access the file: {f}</comment>
        <extracomment>Run jobs inline on the calling thread (tests). Picard does the same with its thread pool. A progress dialog appears only for jobs that last longer than this.</extracomment>
        <translation>
            <numerusform>Cannot access the file: {f}</numerusform>
            <numerusform>Cannot access the file: {f}</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/worker.py" line="156"/>
        <source>内存不足，无法完成操作。</source>
        <comment>Not enough memory to finish.</comment>
        <translation>Not enough memory to finish.</translation>
    </message>
    <message>
        <location filename="../../ui/worker.py" line="167"/>
        <source>操作未完成</source>
        <comment>Not done</comment>
        <translation>Not done</translation>
    </message>
    <message>
        <location filename="../../ui/worker.py" line="189"/>
        <source>记录已被修改</source>
        <comment>Record changed</comment>
        <translation>Record changed</translation>
    </message>
    <message>
        <location filename="../../ui/worker.py" line="190"/>
        <source>该记录已被其他人修改，请重新加载。</source>
        <comment>This record was changed by someone else; please reload.</comment>
        <translation>This record was changed by someone else; please reload.</translation>
    </message>
    <message>
        <location filename="../../ui/worker.py" line="195"/>
        <location filename="../../ui/worker.py" line="197"/>
        <source>您的修改没有保存。</source>
        <comment>Your change was not saved.</comment>
        <translation>Your change was not saved.</translation>
    </message>
    <message>
        <location filename="../../ui/worker.py" line="198"/>
        <source>重新加载</source>
        <comment>Reload</comment>
        <translation>Reload</translation>
    </message>
    <message>
        <location filename="../../ui/worker.py" line="200"/>
        <source>关闭</source>
        <comment>Close</comment>
        <translation>Close</translation>
    </message>
    <message>
        <location filename="../../ui/worker.py" line="313"/>
        <source>取消</source>
        <comment>Cancel</comment>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../../ui/session_start.py" line="54"/>
        <source>此数据库为多用户共享模式，请先登录（设置 HOSPITAL_APP_USER 和 HOSPITAL_APP_PASSWORD）。</source>
        <comment>This is a shared database; log in first (set HOSPITAL_APP_USER and HOSPITAL_APP_PASSWORD).</comment>
        <extracomment>Exit code when the log-in failed (CLI.md: refused → 4).</extracomment>
        <translation>This is a shared database; log in first (set HOSPITAL_APP_USER and HOSPITAL_APP_PASSWORD).</translation>
    </message>
    <message>
        <location filename="../../ui/session_start.py" line="67"/>
        <source>登录失败次数过多。</source>
        <comment>Too many failed log-in attempts.</comment>
        <translation>Too many failed log-in attempts.</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/session_start.py" line="136"/>
        <source>用户：{u}</source>
        <comment>User: {u}</comment>
        <translation>
            <numerusform>User: {u}</numerusform>
            <numerusform>User: {u}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/session_start.py" line="138"/>
        <source>用户：{u}（{r}）</source>
        <comment>User: {u} ({r})</comment>
        <translation>
            <numerusform>User: {u} ({r})</numerusform>
            <numerusform>User: {u} ({r})</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/widgets/findings_editor.py" line="36"/>
        <location filename="../../ui/widgets/findings_editor.py" line="213"/>
        <source>自查报告文字已被他人修改，请重新打开后再编辑。</source>
        <comment>The findings were changed by someone else; reopen them before editing.</comment>
        <translation>The findings were changed by someone else; reopen them before editing.</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/widgets/common.py" line="117"/>
        <source>{m} 月</source>
        <comment>{n}</comment>
        <translation>
            <numerusform>{n}</numerusform>
            <numerusform>{n}</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="33"/>
        <source>是</source>
        <comment>yes</comment>
        <extracomment>QSettings key of the database chosen on this page (used at the next start).</extracomment>
        <translation>yes</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="33"/>
        <source>否</source>
        <comment>no</comment>
        <translation>no</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="35"/>
        <source>（空）</source>
        <comment>(empty)</comment>
        <translation>(empty)</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/widgets/month_chart.py" line="69"/>
        <source>{m}</source>
        <comment>{a}</comment>
        <translation>
            <numerusform>{a}</numerusform>
            <numerusform>{a}</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/app.py" line="34"/>
        <source>集采执行助手</source>
        <comment>VBP Execution Assistant</comment>
        <translation>VBP Execution Assistant</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/suspension_dialog.py" line="133"/>
        <source>，</source>
        <comment>, </comment>
        <translation>, </translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/suspension_dialog.py" line="145"/>
        <source>、</source>
        <comment>, </comment>
        <translation>, </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/worker.py" line="158"/>
        <source>发生意外错误，详细信息已写入日志。</source>
        <comment>Unexpected error ({e}); details were written to the log.</comment>
        <translation>
            <numerusform>Unexpected error ({e}); details were written to the log.</numerusform>
            <numerusform>Unexpected error ({e}); details were written to the log.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/app.py" line="232"/>
        <source>用法错误：没有页面“{p}”，可选：{c}
</source>
        <comment>Usage error: no page &apos;{p}&apos;; choose from {c}
</comment>
        <translation>
            <numerusform>Usage error: no page &apos;{p}&apos;; choose from {c}
</numerusform>
            <numerusform>Usage error: no page &apos;{p}&apos;; choose from {c}
</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>AdjustmentsEditor</name>
    <message>
        <location filename="../../ui/widgets/adjustments_editor.py" line="97"/>
        <location filename="../../ui/widgets/adjustments_editor.py" line="234"/>
        <source>产品</source>
        <translation>Product</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/adjustments_editor.py" line="97"/>
        <source>原因</source>
        <translation>Reason</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/adjustments_editor.py" line="97"/>
        <source>依据文件</source>
        <translation>Reference document</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/adjustments_editor.py" line="97"/>
        <source>起</source>
        <translation>From</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/adjustments_editor.py" line="97"/>
        <source>止</source>
        <translation>To</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/adjustments_editor.py" line="97"/>
        <location filename="../../ui/widgets/adjustments_editor.py" line="159"/>
        <source>登记人</source>
        <translation>Recorded by</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/adjustments_editor.py" line="106"/>
        <source>依据文件文号（必填）</source>
        <translation>Reference document number (required)</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/adjustments_editor.py" line="107"/>
        <source>添加免考核</source>
        <translation>Add exemption</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/adjustments_editor.py" line="109"/>
        <location filename="../../ui/widgets/adjustments_editor.py" line="168"/>
        <source>删除所选</source>
        <translation>Delete selected</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/adjustments_editor.py" line="142"/>
        <source>删除免考核</source>
        <translation>Delete exemption</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/adjustments_editor.py" line="142"/>
        <source>确定删除“%1”的免考核记录吗？</source>
        <translation>Delete the exemption of “%1”?</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/adjustments_editor.py" line="152"/>
        <source>已删除免考核记录。</source>
        <translation>Exemption deleted.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/adjustments_editor.py" line="159"/>
        <location filename="../../ui/widgets/adjustments_editor.py" line="162"/>
        <source>中选药品通用名</source>
        <translation>Selected drug (generic name)</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/adjustments_editor.py" line="159"/>
        <location filename="../../ui/widgets/adjustments_editor.py" line="165"/>
        <source>可替代药品通用名</source>
        <translation>Substitute drug (generic name)</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/adjustments_editor.py" line="159"/>
        <source>备注</source>
        <translation>Note</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/adjustments_editor.py" line="166"/>
        <source>添加对应关系</source>
        <translation>Add mapping</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/adjustments_editor.py" line="198"/>
        <source>删除对应关系</source>
        <translation>Delete mapping</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/adjustments_editor.py" line="198"/>
        <source>确定删除“%1 → %2”的可替代关系吗？</source>
        <translation>Delete the substitution “%1 → %2”?</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/adjustments_editor.py" line="207"/>
        <source>已删除对应关系。</source>
        <translation>Mapping deleted.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/adjustments_editor.py" line="226"/>
        <source>价格低于中选价格且质量相同的非中选产品或可替代产品：其采购不计入考核（不计入完成进度、非中选占比和可替代药品的统计）。只能标记在非中选产品上。</source>
        <translation>Non-selected or substitute products cheaper than the selected price with equal quality: their purchases are left out of the assessment (completion, non-selected share and substitute statistics). Only for non-selected products.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/adjustments_editor.py" line="235"/>
        <source>标记</source>
        <translation>Mark</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/adjustments_editor.py" line="95"/>
        <source>免考核产品</source>
        <translation>Exempt products</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/adjustments_editor.py" line="157"/>
        <source>可替代药品对应关系</source>
        <translation>Substitute mappings</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/adjustments_editor.py" line="214"/>
        <source>产品标记</source>
        <translation>Product marks</translation>
    </message>
</context>
<context>
    <name>BatchEditorDialog</name>
    <message>
        <location filename="../../ui/dialogs/batch_dialog.py" line="31"/>
        <source>批次设置</source>
        <translation>Batch settings</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/batch_dialog.py" line="39"/>
        <source>批次类别</source>
        <translation>Batch kind</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/batch_dialog.py" line="42"/>
        <source>药品</source>
        <translation>Drug</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/batch_dialog.py" line="43"/>
        <source>耗材</source>
        <translation>Consumable</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/batch_dialog.py" line="44"/>
        <source>保存类别</source>
        <translation>Save kind</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/batch_dialog.py" line="50"/>
        <source>顺延采购周期</source>
        <translation>Extend the procurement cycle</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/batch_dialog.py" line="57"/>
        <source>不选文件时，按上一协议期按月折算约定量</source>
        <translation>Without a file, volumes are pro-rated per month from the last period</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/batch_dialog.py" line="58"/>
        <source>选择文件…</source>
        <translation>Choose file…</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/batch_dialog.py" line="62"/>
        <source>顺延</source>
        <translation>Extend</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/batch_dialog.py" line="68"/>
        <source>顺延至</source>
        <translation>Extend to</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/batch_dialog.py" line="69"/>
        <source>约定量文件</source>
        <translation>Volumes file</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/batch_dialog.py" line="120"/>
        <source>还没有批次。请先导入中选产品。</source>
        <translation>No batches yet. Import the selected products first.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/batch_dialog.py" line="122"/>
        <source>执行开始 %1，采购周期至 %2，中选产品 %3 个</source>
        <translation>Execution start %1, cycle end %2, %3 selected products</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/batch_dialog.py" line="125"/>
        <source>；已顺延至 %1</source>
        <translation>; extended to %1</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/batch_dialog.py" line="132"/>
        <source>选择约定量文件</source>
        <translation>Choose the volumes file</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/batch_dialog.py" line="132"/>
        <source>表格 (*.xlsx *.xls *.csv)</source>
        <translation>Spreadsheets (*.xlsx *.xls *.csv)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/batch_dialog.py" line="161"/>
        <source>已顺延至 %1，新增 %2 个顺延协议期。</source>
        <translation>Extended to %1: %2 extension periods added.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/batch_dialog.py" line="164"/>
        <source>没有协议期的产品未顺延：%1</source>
        <translation>Products without a period were not extended: %1</translation>
    </message>
</context>
<context>
    <name>CalendarEditor</name>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="111"/>
        <source> 年</source>
        <translation> </translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="120"/>
        <location filename="../../ui/widgets/calendar_editor.py" line="247"/>
        <source>法定节假日</source>
        <translation>Public holiday</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="122"/>
        <location filename="../../ui/widgets/calendar_editor.py" line="247"/>
        <source>调休上班日</source>
        <translation>Make-up workday</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="124"/>
        <source>本院更正</source>
        <translation>Hospital correction</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="126"/>
        <source>周末</source>
        <translation>Weekend</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="157"/>
        <source>所选日期</source>
        <translation>Selected date</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="159"/>
        <location filename="../../ui/widgets/calendar_editor.py" line="240"/>
        <source>点击日历中的某一天。</source>
        <translation>Click a day in the calendar.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="167"/>
        <source>备注（例如：本地政府调整、院内停诊）</source>
        <translation>Note (e.g. local government change, hospital closed)</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="168"/>
        <source>设为工作日</source>
        <translation>Make workday</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="170"/>
        <source>设为休息日</source>
        <translation>Make day off</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="172"/>
        <source>清除本院更正</source>
        <translation>Remove correction</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="174"/>
        <source>本院更正优先于官方安排；更改后，未结供应问题的答复和解决期限立即重新计算。</source>
        <translation>Hospital corrections take precedence over the official schedule; the reply and resolution dues of open supply issues are recalculated at once.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="220"/>
        <source>%1 年的官方节假日安排尚未发布（或程序的日历库未更新）：该年按周一至周五推算，相关期限标为“暂定”。官方安排公布后，请在此逐日更正或更新程序。</source>
        <translation>The official holiday schedule for %1 has not been published (or the app&apos;s calendar library is out of date): Monday–Friday are assumed and the dues are marked “provisional”. Once it is published, correct the days here or update the app.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="243"/>
        <source>星期一</source>
        <translation>Monday</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="243"/>
        <source>星期二</source>
        <translation>Tuesday</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="243"/>
        <source>星期三</source>
        <translation>Wednesday</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="243"/>
        <source>星期四</source>
        <translation>Thursday</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="244"/>
        <source>星期五</source>
        <translation>Friday</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="244"/>
        <source>星期六</source>
        <translation>Saturday</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="244"/>
        <source>星期日</source>
        <translation>Sunday</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="246"/>
        <location filename="../../ui/widgets/calendar_editor.py" line="288"/>
        <source>工作日</source>
        <translation>Workday</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="246"/>
        <source>周末休息</source>
        <translation>Weekend (day off)</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="248"/>
        <source>本院更正：工作日</source>
        <translation>Hospital correction: workday</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="248"/>
        <source>本院更正：休息日</source>
        <translation>Hospital correction: day off</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="253"/>
        <source>备注：%1</source>
        <translation>Note: %1</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="255"/>
        <source>更正人：%1</source>
        <translation>Corrected by: %1</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="257"/>
        <source>暂定（该年无官方安排）</source>
        <translation>Provisional (no official schedule for this year)</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="288"/>
        <source>休息日</source>
        <translation>day off</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="289"/>
        <source>%1 已设为%2。</source>
        <translation>%1 set to %2.</translation>
    </message>
</context>
<context>
    <name>Charts</name>
    <message>
        <location filename="../../ui/widgets/charts.py" line="242"/>
        <source>月度目标</source>
        <translation>Monthly target</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/charts.py" line="228"/>
        <source>实际采购</source>
        <translation>Purchased</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/charts.py" line="85"/>
        <source>完成进度</source>
        <translation>Completion</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/charts.py" line="87"/>
        <source>序时进度</source>
        <translation>Schedule</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/charts.py" line="230"/>
        <source>扎堆采购</source>
        <translation>Clustered buying</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/charts.py" line="250"/>
        <source>当月未采购</source>
        <translation>Month without purchases</translation>
    </message>
</context>
<context>
    <name>ColumnChooser</name>
    <message>
        <location filename="../../ui/widgets/table_fit.py" line="137"/>
        <source>右键点击表头可选择显示的列</source>
        <translation>Right-click the header to choose the columns shown</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/table_fit.py" line="157"/>
        <source>显示的列</source>
        <translation>Columns shown</translation>
    </message>
</context>
<context>
    <name>DashboardPage</name>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="129"/>
        <source>未解决供应问题</source>
        <translation>Open supply issues</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="138"/>
        <source>批次</source>
        <translation>Batch</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="138"/>
        <source>中选产品</source>
        <translation>Selected products</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="162"/>
        <source>采购进度</source>
        <translation>Purchasing progress</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="170"/>
        <source>未解决的供应问题（双击打开）</source>
        <translation>Open supply issues (double-click to open)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="196"/>
        <source>总览</source>
        <translation>Dashboard</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="120"/>
        <location filename="../../ui/pages/dashboard.py" line="199"/>
        <source>%1 的执行情况</source>
        <translation>Execution as of %1</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="121"/>
        <location filename="../../ui/pages/dashboard.py" line="200"/>
        <source>正在加载…</source>
        <translation>Loading…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="248"/>
        <source>产品状态（共 %1 个）</source>
        <translation>Product status (%1 products)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="258"/>
        <source>今天没有待办事项。</source>
        <translation>Nothing to do today.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="291"/>
        <source>没有未解决的供应问题。</source>
        <translation>No open supply issues.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="286"/>
        <location filename="../../ui/pages/dashboard.py" line="310"/>
        <source>（已逾期）</source>
        <translation> (overdue)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="138"/>
        <source>完成进度</source>
        <translation>Completion</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="138"/>
        <source>序时进度</source>
        <translation>Schedule</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="168"/>
        <source>今日待办（双击查看）</source>
        <translation>To do today (double-click to see)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="138"/>
        <source>进度落后</source>
        <translation>Behind</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="131"/>
        <location filename="../../ui/pages/dashboard.py" line="172"/>
        <source>待付货款</source>
        <translation>Payments due</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="242"/>
        <source>各批次完成进度与序时进度（%）</source>
        <translation>Completion and schedule per batch (%)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="245"/>
        <source>落后最多的 %1 个批次：完成进度与序时进度（%）</source>
        <translation>The %1 batches furthest behind: completion and schedule (%)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="261"/>
        <source>%1：%2 项</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="263"/>
        <source>，最早期限 %1</source>
        <translation>, earliest due %1</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="276"/>
        <source>#%1 %2 %3</source>
        <translation>#%1 %2 %3</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="279"/>
        <source> — 已上报医保部门</source>
        <translation> — escalated to the insurance bureau</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="282"/>
        <source> — 答复期限 %1</source>
        <translation> — reply due %1</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="285"/>
        <source> — 解决期限 %1</source>
        <translation> — resolution due %1</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="304"/>
        <source>没有待付款的订单。</source>
        <translation>No payments due.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="307"/>
        <source>%1 %2 ￥%3 应付日期 %4</source>
        <translation>%1 %2 ¥%3 due %4</translation>
    </message>
    <message>
        <location filename="../../ui/pages/dashboard.py" line="316"/>
        <source>以上为最早到期的 %1 笔（共 %2 笔），全部请见“货款结算”页</source>
        <translation>The %1 due first of %2: see the Payments page for all</translation>
    </message>
</context>
<context>
    <name>DepartmentsPage</name>
    <message>
        <location filename="../../ui/pages/departments.py" line="54"/>
        <location filename="../../ui/pages/departments.py" line="135"/>
        <source>科室</source>
        <translation>Departments</translation>
    </message>
    <message>
        <location filename="../../ui/pages/departments.py" line="75"/>
        <source>科室详情</source>
        <translation>Department detail</translation>
    </message>
    <message>
        <location filename="../../ui/pages/departments.py" line="76"/>
        <source>请选择一个科室。</source>
        <translation>Select a department.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/departments.py" line="82"/>
        <source>药品</source>
        <translation>Product</translation>
    </message>
    <message>
        <location filename="../../ui/pages/departments.py" line="82"/>
        <source>全院状态</source>
        <translation>Hospital status</translation>
    </message>
    <message>
        <location filename="../../ui/pages/departments.py" line="82"/>
        <source>应承担缺口</source>
        <translation>Shortfall part</translation>
    </message>
    <message>
        <location filename="../../ui/pages/departments.py" line="82"/>
        <location filename="../../ui/pages/departments.py" line="135"/>
        <source>非中选用量</source>
        <translation>Non-selected units</translation>
    </message>
    <message>
        <location filename="../../ui/pages/departments.py" line="83"/>
        <source>科室非中选占比</source>
        <translation>Dept. non-selected share</translation>
    </message>
    <message>
        <location filename="../../ui/pages/departments.py" line="95"/>
        <source>生成科室通报 PDF…</source>
        <translation>Department notice PDF…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/departments.py" line="99"/>
        <source>统计期间：</source>
        <translation>Period:</translation>
    </message>
    <message>
        <location filename="../../ui/pages/departments.py" line="135"/>
        <source>非中选占比</source>
        <translation>Non-selected share</translation>
    </message>
    <message>
        <location filename="../../ui/pages/departments.py" line="135"/>
        <source>应承担缺口合计</source>
        <translation>Shortfall part (total)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/departments.py" line="141"/>
        <source>全院缺口 %1，全院非中选占比 %2</source>
        <translation>Hospital shortfall %1, hospital non-selected share %2</translation>
    </message>
    <message>
        <location filename="../../ui/pages/departments.py" line="152"/>
        <source>中选 %1，非中选 %2，科室非中选占比 %3，用量占比 %4</source>
        <translation>Selected %1, non-selected %2, department non-selected share %3, share of use %4</translation>
    </message>
    <message>
        <location filename="../../ui/pages/departments.py" line="166"/>
        <source>还没有科室用量数据：请导入医院信息系统的科室发药/领用数据。</source>
        <translation>No department usage yet: import the HIS dispensing export (import departments).</translation>
    </message>
    <message>
        <location filename="../../ui/pages/departments.py" line="169"/>
        <source>截至 %1：%2 个科室，%3 个滞后或非中选超比例的产品。单元格为科室应承担的缺口；红色表示该科室使用了非中选产品。</source>
        <translation>As of %1: %2 departments, %3 products behind schedule or over the non-selected limit. Cells: the department&apos;s part of the shortfall; red: it used non-selected products.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/departments.py" line="190"/>
        <source>%1：中选 %2，非中选 %3，非中选占比 %4，应承担缺口 %5</source>
        <translation>%1: selected %2, non-selected %3, non-selected share %4, shortfall part %5</translation>
    </message>
    <message>
        <location filename="../../ui/pages/departments.py" line="221"/>
        <source>生成科室通报</source>
        <translation>Department notice</translation>
    </message>
    <message>
        <location filename="../../ui/pages/departments.py" line="221"/>
        <source>PDF 文件 (*.pdf)</source>
        <translation>PDF files (*.pdf)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/departments.py" line="232"/>
        <source>已导出：%1</source>
        <translation>Exported: %1</translation>
    </message>
</context>
<context>
    <name>DryRunPage</name>
    <message>
        <location filename="../../ui/import_wizard.py" line="296"/>
        <source>检查（试导入）</source>
        <translation>Check (dry run)</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="297"/>
        <source>先检查全部数据，不写入数据库。有问题时请修改文件后重新选择。</source>
        <translation>Every row is checked first; nothing is written. If there are problems, fix the file and choose it again.</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="302"/>
        <source>行</source>
        <translation>Row</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="302"/>
        <source>列</source>
        <translation>Column</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="302"/>
        <source>问题</source>
        <translation>Problem</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="335"/>
        <source>正在检查…</source>
        <translation>Checking…</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="345"/>
        <source>正在检查文件…</source>
        <translation>Checking the file…</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="353"/>
        <source>检查通过：共 %1 行，将新增 %2 行、更新 %3 行、%4 行不变。</source>
        <translation>Check passed: %1 rows; %2 will be added, %3 updated, %4 unchanged.</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="378"/>
        <source>发现 %1 处问题，没有写入任何数据。点击一行查看原始数据。</source>
        <translation>%1 problem(s) found; nothing was written. Click a problem to see the row.</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="398"/>
        <source>第 %1 行：</source>
        <translation>Row %1: </translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="312"/>
        <source>跳过这些有问题的行，导入其余各行（导入后列出跳过的行及原因）</source>
        <translation>Skip these rows with problems and import the rest (the skipped rows and why are listed afterwards)</translation>
    </message>
</context>
<context>
    <name>FilePage</name>
    <message>
        <location filename="../../ui/import_wizard.py" line="53"/>
        <source>选择要导入的文件</source>
        <translation>Choose the file to import</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="54"/>
        <source>可以把 Excel 或 CSV 文件直接拖到这里。</source>
        <translation>You can drop an Excel or CSV file here.</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="62"/>
        <source>浏览…</source>
        <translation>Browse…</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="74"/>
        <source>数据类型：</source>
        <translation>Data type:</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="75"/>
        <source>文件：</source>
        <translation>File:</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="106"/>
        <source>选择文件</source>
        <translation>Choose a file</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="107"/>
        <source>表格文件 (*.xlsx *.xlsm *.xls *.csv)</source>
        <translation>Spreadsheets (*.xlsx *.xlsm *.xls *.csv)</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="71"/>
        <source>打印在报量情况说明和自查报告中；留空则用“YYYY年度报量”：YYYY 取文件名中的年份，文件名没有年份时取计算日期的下一年。</source>
        <translation>Printed on the volume-report notes and the self-check; empty: &apos;YYYY年度报量&apos; with YYYY the year in the file name, else the year after the calculation date.</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="76"/>
        <source>报量名称：</source>
        <translation>Report name:</translation>
    </message>
</context>
<context>
    <name>FindingsEditor</name>
    <message>
        <location filename="../../ui/widgets/findings_editor.py" line="56"/>
        <source>尚未编辑：生成报告时将根据预警自动起草“存在的问题及整改措施”。点击“从预警生成草稿”可先生成草稿再修改。</source>
        <translation>Not edited: the report drafts the “findings and corrective measures” from the alerts. Click “Draft from alerts” to start from that draft and edit it.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/findings_editor.py" line="62"/>
        <source>从预警生成草稿</source>
        <translation>Draft from alerts</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/findings_editor.py" line="64"/>
        <location filename="../../ui/widgets/findings_editor.py" line="206"/>
        <source>恢复自动起草</source>
        <translation>Back to automatic draft</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/findings_editor.py" line="66"/>
        <source>删除已保存的文字，报告重新根据预警自动起草</source>
        <translation>Delete the saved text; the report drafts the findings from the alerts again</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/findings_editor.py" line="67"/>
        <source>保存</source>
        <translation>Save</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/findings_editor.py" line="77"/>
        <source>存在的问题及整改措施（打印在本期报告中）</source>
        <translation>Findings and corrective measures (printed in this period&apos;s report)</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/findings_editor.py" line="106"/>
        <source>有未保存的修改</source>
        <translation>Unsaved changes</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/findings_editor.py" line="108"/>
        <source>未编辑（报告将自动起草）</source>
        <translation>Not edited (the report drafts it automatically)</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/findings_editor.py" line="110"/>
        <source>已保存，下次生成的报告将使用此文字</source>
        <translation>Saved; the next report uses this text</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/findings_editor.py" line="144"/>
        <source>您未保存的文字已复制到剪贴板。</source>
        <translation>Your unsaved text was copied to the clipboard.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/findings_editor.py" line="155"/>
        <source>生成草稿</source>
        <translation>Draft</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/findings_editor.py" line="156"/>
        <source>用根据预警生成的草稿替换编辑框中的文字吗？</source>
        <translation>Replace the text in the editor with the draft from the alerts?</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/findings_editor.py" line="195"/>
        <source>已保存 %1 的整改措施。</source>
        <translation>Findings of %1 saved.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/findings_editor.py" line="207"/>
        <source>删除已保存的整改措施，报告改为根据预警自动起草吗？</source>
        <translation>Delete the saved findings so that the report drafts them from the alerts?</translation>
    </message>
</context>
<context>
    <name>IdentityDialog</name>
    <message>
        <location filename="../../ui/dialogs/identity_dialog.py" line="19"/>
        <source>医院信息</source>
        <translation>Hospital identity</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/identity_dialog.py" line="21"/>
        <source>自查自纠报告、供应问题反馈表等文书都会印上以下信息。请先填写医院名称，其余各项也请尽量填写。</source>
        <translation>Every document (self-check report, supply issue form …) prints the following. Enter the hospital&apos;s name first, and the other items where you can.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/identity_dialog.py" line="29"/>
        <source>医院名称</source>
        <translation>Hospital name</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/identity_dialog.py" line="30"/>
        <source>负责科室</source>
        <translation>Responsible department</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/identity_dialog.py" line="31"/>
        <source>负责人</source>
        <translation>Person responsible</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/identity_dialog.py" line="32"/>
        <source>联系人及电话</source>
        <translation>Contact person and phone</translation>
    </message>
</context>
<context>
    <name>ImportPage</name>
    <message>
        <location filename="../../ui/import_wizard.py" line="415"/>
        <source>导入</source>
        <translation>Import</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="425"/>
        <source>行</source>
        <translation>Row</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="425"/>
        <source>列</source>
        <translation>Column</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="425"/>
        <source>说明</source>
        <translation>Note</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="440"/>
        <source>正在导入…</source>
        <translation>Importing…</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="454"/>
        <source>正在导入 %1…</source>
        <translation>Importing %1…</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="458"/>
        <source>导入完成：%1</source>
        <translation>Imported: %1</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="459"/>
        <source>工作表“%1”，共 %2 行</source>
        <translation>Sheet &apos;%1&apos;, %2 rows</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="460"/>
        <source>新增 %1 行，更新 %2 行，%3 行与已有数据相同（未重复导入）</source>
        <translation>%1 added, %2 updated, %3 already present (not imported twice)</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="464"/>
        <source>新建了 %1 个非中选产品</source>
        <translation>%1 non-selected products were created</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="481"/>
        <source>请注意 %1 条提示（数据已导入，以下内容未改动）：</source>
        <translation>Please note %1 remark(s) (the data was imported; the following was left unchanged):</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="489"/>
        <source>导入未完成，没有写入任何数据：</source>
        <translation>The import did not finish; nothing was written:</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="467"/>
        <source>跳过了 %1 行有问题的行：</source>
        <translation>%1 row(s) with problems were skipped:</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="468"/>
        <source>第 %1 行：%2</source>
        <translation>Row %1: %2</translation>
    </message>
</context>
<context>
    <name>ImportWizard</name>
    <message>
        <location filename="../../ui/import_wizard.py" line="31"/>
        <source>采购明细（平台导出）</source>
        <translation>Purchases (platform export)</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="32"/>
        <source>中选产品目录</source>
        <translation>Selected products</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="33"/>
        <source>约定采购量</source>
        <translation>Agreed volumes</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="34"/>
        <source>订单（配送与回款）</source>
        <translation>Orders (delivery and payment)</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="35"/>
        <source>报量（需求量）</source>
        <translation>Reported volumes</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="36"/>
        <source>科室用量（医院信息系统发药/领用）</source>
        <translation>Department usage (HIS dispensing/consumption)</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="502"/>
        <source>导入数据</source>
        <translation>Import data</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="514"/>
        <source>下一步 &gt;</source>
        <translation>Next &gt;</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="515"/>
        <source>&lt; 上一步</source>
        <translation>&lt; Back</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="516"/>
        <source>完成</source>
        <translation>Finish</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="517"/>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
</context>
<context>
    <name>IndicatorsPanel</name>
    <message>
        <location filename="../../ui/widgets/indicators_panel.py" line="70"/>
        <source>医保部门监测指标（点击数字查看产品）</source>
        <translation>The bureau&apos;s indicators (click a number for its products)</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/indicators_panel.py" line="75"/>
        <source>批次</source>
        <translation>Batch</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/indicators_panel.py" line="75"/>
        <source>序时进度</source>
        <translation>Schedule</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/indicators_panel.py" line="84"/>
        <source>签约产品</source>
        <translation>Signed</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/indicators_panel.py" line="84"/>
        <source>零采购</source>
        <translation>Zero purchase</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/indicators_panel.py" line="84"/>
        <source>低于序时进度</source>
        <translation>Below schedule</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/indicators_panel.py" line="84"/>
        <source>超量采购</source>
        <translation>Over-purchase</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/indicators_panel.py" line="85"/>
        <source>正常采购</source>
        <translation>Normal</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/indicators_panel.py" line="85"/>
        <source>对应非中选</source>
        <translation>Non-selected on record</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/indicators_panel.py" line="85"/>
        <source>采购非中选</source>
        <translation>Non-selected bought</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/indicators_panel.py" line="85"/>
        <source>非中选超量</source>
        <translation>Non-selected over (qty)</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/indicators_panel.py" line="86"/>
        <source>非中选超额</source>
        <translation>Non-selected over (amount)</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/indicators_panel.py" line="86"/>
        <source>对应可替代</source>
        <translation>Substitutes on record</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/indicators_panel.py" line="86"/>
        <source>采购可替代</source>
        <translation>Substitutes bought</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/indicators_panel.py" line="86"/>
        <source>低于序时且非中选超量</source>
        <translation>Below schedule and non-selected over</translation>
    </message>
</context>
<context>
    <name>IssueActionDialog</name>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="292"/>
        <source>登记问题解决</source>
        <translation>Record resolution</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="292"/>
        <source>关闭问题</source>
        <translation>Close issue</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="293"/>
        <source>逾期升级上报</source>
        <translation>Escalate (overdue)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="293"/>
        <source>报告医保部门</source>
        <translation>Report to the bureau</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="294"/>
        <source>医保部门核实</source>
        <translation>Bureau confirmation</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="308"/>
        <source>解决情况：到货数量、恢复供应时间等</source>
        <translation>Resolution: quantity delivered, when supply resumed, etc.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="309"/>
        <source>关闭原因（未解决的问题必须填写，例如误报、撤回）</source>
        <translation>Reason for closing (required for an unresolved issue, e.g. false report, withdrawn)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="310"/>
        <source>备注（可选）</source>
        <translation>Note (optional)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="311"/>
        <source>上报说明（可选），上报函会附上完整的时间线</source>
        <translation>Escalation note (optional); the letter includes the full timeline</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="312"/>
        <source>上报对象，例如 市医疗保障局（可选）</source>
        <translation>To whom, e.g. the city&apos;s medical insurance bureau (optional)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="313"/>
        <source>核实文号或记录（可选）</source>
        <translation>Confirmation reference (optional)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="315"/>
        <source>上报对象</source>
        <translation>Reported to</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="315"/>
        <source>核实文号</source>
        <translation>Reference</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="319"/>
        <source>时间</source>
        <translation>Time</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="320"/>
        <source>说明</source>
        <translation>Note</translation>
    </message>
</context>
<context>
    <name>IssuesPage</name>
    <message>
        <location filename="../../ui/pages/issues.py" line="53"/>
        <source>供应问题</source>
        <translation>Supply issues</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="58"/>
        <source>登记新问题</source>
        <translation>File new issue</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="60"/>
        <source>只看未解决</source>
        <translation>Unresolved only</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="62"/>
        <source>只看逾期</source>
        <translation>Overdue only</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="66"/>
        <source>按产品、企业或类型筛选</source>
        <translation>Filter by product, company or type</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="79"/>
        <source>编号</source>
        <translation>No.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="79"/>
        <source>产品</source>
        <translation>Product</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="79"/>
        <source>问题类型</source>
        <translation>Issue type</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="79"/>
        <location filename="../../ui/pages/issues.py" line="134"/>
        <location filename="../../ui/pages/issues.py" line="180"/>
        <source>状态</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="79"/>
        <location filename="../../ui/pages/issues.py" line="135"/>
        <source>答复期限</source>
        <translation>Reply due</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="80"/>
        <location filename="../../ui/pages/issues.py" line="136"/>
        <source>解决期限</source>
        <translation>Resolution due</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="80"/>
        <source>提示</source>
        <translation>Flags</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="80"/>
        <location filename="../../ui/pages/issues.py" line="134"/>
        <source>涉及企业</source>
        <translation>Company</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="80"/>
        <source>反馈时间</source>
        <translation>Reported</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="98"/>
        <source>暂无供应问题。点击“登记新问题”记录企业供应短缺、配送不及时等情况。</source>
        <translation>No supply issues yet. Click “File new issue” to record a shortage, a late delivery and the like.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="127"/>
        <source>问题详情</source>
        <translation>Issue details</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="128"/>
        <location filename="../../ui/pages/issues.py" line="343"/>
        <source>请在左侧选择一个问题。</source>
        <translation>Select an issue on the left.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="135"/>
        <source>问题描述</source>
        <translation>Description</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="136"/>
        <source>承诺解决</source>
        <translation>Promised resolution</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="137"/>
        <source>医保局</source>
        <translation>Insurance bureau</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="145"/>
        <source>登记答复</source>
        <translation>Record reply</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="146"/>
        <source>登记解决</source>
        <translation>Record resolution</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="147"/>
        <location filename="../../ui/pages/issues.py" line="388"/>
        <source>关闭</source>
        <translation>Close</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="148"/>
        <source>逾期升级上报…</source>
        <translation>Escalate (overdue)…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="149"/>
        <source>问题逾期未解决：升级上报医保部门并打印上报函</source>
        <translation>The issue is overdue: escalate it to the insurance bureau and print the letter</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="150"/>
        <source>报告医保部门…</source>
        <translation>Report to the bureau…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="151"/>
        <source>登记已将本问题报告医保部门（时间、报告对象）</source>
        <translation>Record that this issue was reported to the bureau (time, to whom)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="152"/>
        <source>医保部门核实…</source>
        <translation>Bureau confirmation…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="153"/>
        <source>登记医保部门对本问题的核实（时间、文号）</source>
        <translation>Record the bureau&apos;s confirmation of this issue (time, reference)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="408"/>
        <source>；待医保部门核实</source>
        <translation>; awaiting the bureau&apos;s confirmation</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="486"/>
        <source>上报医保部门</source>
        <translation>Escalate to the medical insurance bureau</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="157"/>
        <source>打印反馈单</source>
        <translation>Print complaint form</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="158"/>
        <source>打印上报函</source>
        <translation>Print escalation letter</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="180"/>
        <source>时间</source>
        <translation>Time</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="180"/>
        <source>事件</source>
        <translation>Event</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="181"/>
        <source>经办人</source>
        <translation>By</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="181"/>
        <source>说明</source>
        <translation>Note</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="193"/>
        <source>处理时间线</source>
        <translation>Timeline</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="238"/>
        <source>暂定：尚未答复，或该年份官方节假日安排未发布</source>
        <translation>Provisional: no reply yet, or the official holiday schedule of that year is not published</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="250"/>
        <source>共 %1 条，逾期 %2 条</source>
        <translation>%1 issues, %2 overdue</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="256"/>
        <source>%1 年的官方节假日安排尚未发布，相关期限按周一至周五推算，标为“暂定”。可在“设置 → 工作日历”中更正。</source>
        <translation>The official holiday schedule for %1 has not been published; dues assume Monday–Friday and are marked “provisional”. Correct them in “Settings → Working calendar”.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="272"/>
        <source>（暂定）</source>
        <translation> (provisional)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="278"/>
        <source>答复逾期</source>
        <translation>Reply overdue</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="280"/>
        <source>解决逾期</source>
        <translation>Resolution overdue</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="282"/>
        <source>承诺超过5个工作日</source>
        <translation>Promise beyond 5 working days</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="359"/>
        <source>（%1 已答复）</source>
        <translation> (replied %1)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="361"/>
        <source>未承诺</source>
        <translation>No promise</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="363"/>
        <source>；最迟 %1</source>
        <translation>; latest %1</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="365"/>
        <source>（超过5个工作日期限）</source>
        <translation> (beyond the 5-working-day limit)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="369"/>
        <source>截至 %1 的状态（此后登记的答复、解决等尚未计入）</source>
        <translation>State as of %1 (replies, resolutions etc. recorded later are not counted yet)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="387"/>
        <source>登记</source>
        <translation>Filed</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="387"/>
        <source>企业答复</source>
        <translation>Supplier reply</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="387"/>
        <source>解决</source>
        <translation>Resolved</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="388"/>
        <source>上报</source>
        <translation>Escalated</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="388"/>
        <source>关联采购</source>
        <translation>Purchases linked</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="389"/>
        <source>应急核实</source>
        <translation>Emergency verified</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="389"/>
        <source>备注</source>
        <translation>Note</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="390"/>
        <source>报告医保部门</source>
        <translation>Report to the bureau</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="390"/>
        <source>医保部门核实</source>
        <translation>Bureau confirmation</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="399"/>
        <source>未上报</source>
        <translation>Not reported</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="400"/>
        <source>%1 已上报</source>
        <translation>reported %1</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="404"/>
        <source>；%1 已核实</source>
        <translation>; confirmed %1</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="478"/>
        <source>已记录。注意：承诺解决日期超过 5 个工作日期限（最迟 %1）。</source>
        <translation>Recorded. Note: the promised resolution date is beyond the 5-working-day limit (latest %1).</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="481"/>
        <source>已保存问题 %1。</source>
        <translation>Issue %1 saved.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="486"/>
        <source>问题已标记为上报。现在打印上报函吗？</source>
        <translation>The issue is marked as escalated. Print the escalation letter now?</translation>
    </message>
    <message>
        <location filename="../../ui/pages/issues.py" line="505"/>
        <source>已生成：%1</source>
        <translation>Written: %1</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="28"/>
        <source>登录 — 集采执行助手</source>
        <translation>Log in — VBP Execution Assistant</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="31"/>
        <source>此数据库由多人共用，请登录。</source>
        <translation>This database is shared; please log in.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="44"/>
        <source>用户名</source>
        <translation>User name</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="45"/>
        <source>密码</source>
        <translation>Password</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="49"/>
        <source>登录</source>
        <translation>Log in</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="51"/>
        <source>退出</source>
        <translation>Quit</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="71"/>
        <source>请输入用户名。</source>
        <translation>Enter your user name.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="75"/>
        <source>请输入密码。</source>
        <translation>Enter your password.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="94"/>
        <source>登录失败次数过多，程序将退出。</source>
        <translation>Too many failed attempts; the app will close.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="98"/>
        <source>还可以再试 %1 次。</source>
        <translation>%1 attempt(s) left.</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../ui/main_window.py" line="82"/>
        <location filename="../../ui/main_window.py" line="237"/>
        <source>集采执行助手</source>
        <extracomment>(page name, module, class) in side-bar order; the names are those of ``gui --page``. The smallest window: fits 1366×768 minus a task bar, and 1280×720 at 125 % (1024×576 logical). The size when the screen is unknown (tests, offscreen); a screenshot is taken at this size.</extracomment>
        <translation>VBP Execution Assistant</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="101"/>
        <source>此数据库为多用户共享模式，请先登录。</source>
        <translation>This is a shared database; please log in first.</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="129"/>
        <source>数据库：%1</source>
        <translation>Database: %1</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="130"/>
        <source>计算日期：%1</source>
        <translation>As of: %1</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="154"/>
        <source>正在打开数据库…</source>
        <translation>Opening the database…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="182"/>
        <source>总览</source>
        <translation>Dashboard</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="184"/>
        <source>产品进度</source>
        <translation>Products</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="185"/>
        <source>采购明细</source>
        <translation>Purchases</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="186"/>
        <source>供应问题</source>
        <translation>Supply issues</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="188"/>
        <source>报量核对</source>
        <translation>Volume check</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="192"/>
        <source>报告</source>
        <translation>Reports</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="193"/>
        <source>设置</source>
        <translation>Settings</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="189"/>
        <source>供应企业</source>
        <translation>Suppliers</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="187"/>
        <source>货款结算</source>
        <translation>Payments</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="190"/>
        <source>结余留用</source>
        <translation>Surplus retention</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="183"/>
        <source>今日待办</source>
        <translation>To do today</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="261"/>
        <source>该页面在此版本中不可用。</source>
        <translation>This page is not available in this version.</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="191"/>
        <source>科室</source>
        <translation>Departments</translation>
    </message>
</context>
<context>
    <name>MappingPage</name>
    <message>
        <location filename="../../ui/import_wizard.py" line="229"/>
        <source> *（或%1）</source>
        <translation> * (or %1)</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="228"/>
        <source>、</source>
        <translation>, </translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="175"/>
        <source>列对应关系</source>
        <translation>Column mapping</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="176"/>
        <source>已按常见表头自动对应，带 * 的为必需项。可保存为预设，下次直接选用。</source>
        <translation>Columns were matched by their usual names; * marks required fields. Save the mapping as a preset to reuse it.</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="181"/>
        <source>预设名称</source>
        <translation>Preset name</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="182"/>
        <source>保存为预设</source>
        <translation>Save as preset</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="188"/>
        <source>预设：</source>
        <translation>Preset:</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="218"/>
        <source>（不导入）</source>
        <translation>(not imported)</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="239"/>
        <source>（自动识别）</source>
        <translation>(detected)</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="267"/>
        <source>或</source>
        <translation> or </translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="272"/>
        <source>缺少必需的列：%1</source>
        <translation>Missing required columns: %1</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="282"/>
        <source>已保存预设“%1”</source>
        <translation>Saved preset &apos;%1&apos;</translation>
    </message>
</context>
<context>
    <name>MeasuresEditor</name>
    <message>
        <location filename="../../ui/widgets/measures_editor.py" line="54"/>
        <source>问题</source>
        <translation>Problem</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/measures_editor.py" line="54"/>
        <source>原因</source>
        <translation>Cause</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/measures_editor.py" line="54"/>
        <source>整改措施</source>
        <translation>Measure</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/measures_editor.py" line="55"/>
        <source>责任科室</source>
        <translation>Department</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/measures_editor.py" line="55"/>
        <source>责任人</source>
        <translation>Responsible</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/measures_editor.py" line="55"/>
        <source>完成时限</source>
        <translation>Due</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/measures_editor.py" line="62"/>
        <source>双击单元格修改；完成时限按 YYYY-MM-DD 填写。</source>
        <translation>Double-click a cell to edit; due dates as YYYY-MM-DD.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/measures_editor.py" line="66"/>
        <source>添加一行</source>
        <translation>Add row</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/measures_editor.py" line="68"/>
        <source>删除所选行</source>
        <translation>Delete selected rows</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/measures_editor.py" line="70"/>
        <location filename="../../ui/widgets/measures_editor.py" line="216"/>
        <source>恢复自动起草</source>
        <translation>Back to automatic draft</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/measures_editor.py" line="72"/>
        <source>删除已保存的整改措施，报告重新根据预警起草</source>
        <translation>Delete the saved measures; the report drafts them from the alerts again</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/measures_editor.py" line="73"/>
        <source>保存整改措施</source>
        <translation>Save measures</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/measures_editor.py" line="82"/>
        <source>整改措施（问题、原因、措施、责任科室、责任人、完成时限，打印在本期报告中）</source>
        <translation>Corrective measures (problem, cause, measure, department, person, due date; printed in this period&apos;s report)</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/measures_editor.py" line="104"/>
        <source>有未保存的修改</source>
        <translation>Unsaved changes</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/measures_editor.py" line="106"/>
        <source>已保存，下次生成的报告将打印这些整改措施</source>
        <translation>Saved; the next report prints these measures</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/measures_editor.py" line="108"/>
        <source>根据预警起草（未保存），报告将打印这些整改措施</source>
        <translation>Drafted from the alerts (not saved); the report prints these measures</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/measures_editor.py" line="205"/>
        <source>已保存 %1 的整改措施。</source>
        <translation>Measures of %1 saved.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/measures_editor.py" line="217"/>
        <source>删除已保存的整改措施，改为根据预警起草吗？</source>
        <translation>Delete the saved measures and draft them from the alerts instead?</translation>
    </message>
</context>
<context>
    <name>MonthGrid</name>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="46"/>
        <source>一</source>
        <translation>Mon</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="46"/>
        <source>二</source>
        <translation>Tue</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="46"/>
        <source>三</source>
        <translation>Wed</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="46"/>
        <source>四</source>
        <translation>Thu</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="47"/>
        <source>五</source>
        <translation>Fri</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="47"/>
        <source>六</source>
        <translation>Sat</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/calendar_editor.py" line="47"/>
        <source>日</source>
        <translation>Sun</translation>
    </message>
</context>
<context>
    <name>NewIssueDialog</name>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="49"/>
        <source>登记供应问题</source>
        <translation>File a supply issue</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="55"/>
        <source>输入通用名、编码或生产企业搜索产品</source>
        <translation>Search products by generic name, code or manufacturer</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="65"/>
        <source>留空则为该产品的生产企业；可填写配送企业名称</source>
        <translation>Empty: the product&apos;s manufacturer; or enter a distributor&apos;s name</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="68"/>
        <source>问题描述：涉及科室、短缺数量、联系情况等</source>
        <translation>Description: departments affected, quantity short, contacts made…</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="79"/>
        <source>产品</source>
        <translation>Product</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="81"/>
        <source>问题类型</source>
        <translation>Issue type</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="82"/>
        <source>涉及企业</source>
        <translation>Company</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="83"/>
        <source>问题描述</source>
        <translation>Description</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="84"/>
        <source>反馈时间</source>
        <translation>Reported</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="85"/>
        <source>关联采购（可选）</source>
        <translation>Linked purchases (optional)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="91"/>
        <source>登记</source>
        <translation>File</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="115"/>
        <source>（非中选）</source>
        <translation> (non-selected)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="86"/>
        <source>答复期限为反馈后 2 个工作日；勾选的采购将作为供应应急期间的采购。</source>
        <translation>The reply is due 2 working days after the report; the ticked purchases count as emergency-supply purchases.</translation>
    </message>
</context>
<context>
    <name>PaymentsPage</name>
    <message>
        <location filename="../../ui/pages/payments.py" line="38"/>
        <source>货款结算</source>
        <translation>Payments</translation>
    </message>
    <message>
        <location filename="../../ui/pages/payments.py" line="41"/>
        <source>只看未付清</source>
        <translation>Unpaid only</translation>
    </message>
    <message>
        <location filename="../../ui/pages/payments.py" line="46"/>
        <source>按订单号或配送企业筛选</source>
        <translation>Filter by order number or distributor</translation>
    </message>
    <message>
        <location filename="../../ui/pages/payments.py" line="48"/>
        <source>登记付款</source>
        <translation>Record payment</translation>
    </message>
    <message>
        <location filename="../../ui/pages/payments.py" line="62"/>
        <source>订单号</source>
        <translation>Order no.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/payments.py" line="62"/>
        <source>配送企业</source>
        <translation>Distributor</translation>
    </message>
    <message>
        <location filename="../../ui/pages/payments.py" line="62"/>
        <source>验收日期</source>
        <translation>Accepted on</translation>
    </message>
    <message>
        <location filename="../../ui/pages/payments.py" line="62"/>
        <source>金额（元）</source>
        <translation>Amount (yuan)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/payments.py" line="63"/>
        <source>已付（元）</source>
        <translation>Paid (yuan)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/payments.py" line="63"/>
        <source>应付日期</source>
        <translation>Due</translation>
    </message>
    <message>
        <location filename="../../ui/pages/payments.py" line="63"/>
        <source>付清日期</source>
        <translation>Paid in full on</translation>
    </message>
    <message>
        <location filename="../../ui/pages/payments.py" line="63"/>
        <source>状态</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../../ui/pages/payments.py" line="78"/>
        <source>没有待付款的订单。导入订单（含验收日期）后，这里按“验收后次月底”列出应付货款。</source>
        <translation>No deliveries to pay. After importing orders with acceptance dates, payments due by the end of the following month are listed here.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/payments.py" line="103"/>
        <source>逾期支付</source>
        <translation>Paid late</translation>
    </message>
    <message>
        <location filename="../../ui/pages/payments.py" line="103"/>
        <source>已付清</source>
        <translation>Paid</translation>
    </message>
    <message>
        <location filename="../../ui/pages/payments.py" line="105"/>
        <source>逾期未付</source>
        <translation>Overdue</translation>
    </message>
    <message>
        <location filename="../../ui/pages/payments.py" line="106"/>
        <source>部分已付</source>
        <translation>Part paid</translation>
    </message>
    <message>
        <location filename="../../ui/pages/payments.py" line="106"/>
        <source>未付</source>
        <translation>Unpaid</translation>
    </message>
    <message>
        <location filename="../../ui/pages/payments.py" line="126"/>
        <source>共 %1 笔，逾期未付 %2 笔，未付合计 %3 元</source>
        <translation>%1 deliveries, %2 overdue, %3 yuan outstanding</translation>
    </message>
    <message>
        <location filename="../../ui/pages/payments.py" line="173"/>
        <source>订单 %1 已付清。</source>
        <translation>Order %1 is paid in full.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/payments.py" line="174"/>
        <source>已登记订单 %1 的部分付款，尚欠 %2 元。</source>
        <translation>Part payment of order %1 recorded; %2 yuan outstanding.</translation>
    </message>
</context>
<context>
    <name>PrepaymentPanel</name>
    <message>
        <location filename="../../ui/widgets/prepayment_panel.py" line="33"/>
        <source>医保预付款</source>
        <translation>Insurance prepayment</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/prepayment_panel.py" line="44"/>
        <source>协议年度</source>
        <translation>Agreement year</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/prepayment_panel.py" line="44"/>
        <source>协议期</source>
        <translation>Period</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/prepayment_panel.py" line="44"/>
        <source>约定金额</source>
        <translation>Agreed amount</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/prepayment_panel.py" line="44"/>
        <source>预付比例</source>
        <translation>Rate</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/prepayment_panel.py" line="44"/>
        <source>预付金额</source>
        <translation>Prepayment</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/prepayment_panel.py" line="45"/>
        <source>已冲抵</source>
        <translation>Offset</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/prepayment_panel.py" line="45"/>
        <source>未冲抵</source>
        <translation>Outstanding</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/prepayment_panel.py" line="45"/>
        <source>收回期限</source>
        <translation>Recover by</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/prepayment_panel.py" line="57"/>
        <source>保存比例</source>
        <translation>Save rate</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/prepayment_panel.py" line="59"/>
        <source>恢复默认比例</source>
        <translation>Back to the default rate</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/prepayment_panel.py" line="64"/>
        <source>本批次预付比例</source>
        <translation>Prepayment rate of this batch</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/prepayment_panel.py" line="102"/>
        <source>截至 %1（计算日期），按采购进度冲抵；未冲抵部分于采购周期结束后 2 个月内收回。</source>
        <translation>As of %1 (the calculation date); offset as purchasing progresses; what is not offset is recovered within 2 months after the cycle ends.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/prepayment_panel.py" line="106"/>
        <source>第 %1 年</source>
        <translation>Year %1</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/prepayment_panel.py" line="107"/>
        <source>%1 至 %2</source>
        <translation>%1 to %2</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/prepayment_panel.py" line="116"/>
        <source>截至该日没有已开始的协议年度。</source>
        <translation> No agreement year has begun by that day.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/prepayment_panel.py" line="118"/>
        <source>耗材</source>
        <translation>consumable</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/prepayment_panel.py" line="118"/>
        <source>药品</source>
        <translation>drug</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/prepayment_panel.py" line="120"/>
        <source>本批次单独设置；%1默认 %2</source>
        <translation>Set for this batch; %1 default %2</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/prepayment_panel.py" line="123"/>
        <source>按%1默认比例</source>
        <translation>The %1 default rate</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/prepayment_panel.py" line="128"/>
        <source>%1 元</source>
        <translation>CNY %1</translation>
    </message>
</context>
<context>
    <name>PreviewPage</name>
    <message>
        <location filename="../../ui/import_wizard.py" line="130"/>
        <source>工作表与表头</source>
        <translation>Sheet and header</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="138"/>
        <source>工作表：</source>
        <translation>Sheet:</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="155"/>
        <source>（隐藏）</source>
        <translation> (hidden)</translation>
    </message>
    <message>
        <location filename="../../ui/import_wizard.py" line="159"/>
        <source>表头在第 %1 行，共 %2 列；下面是前几行数据。</source>
        <translation>The header is on row %1 (%2 columns); the first data rows follow.</translation>
    </message>
</context>
<context>
    <name>ProductDetailPane</name>
    <message>
        <location filename="../../ui/pages/products.py" line="153"/>
        <source>选择一个产品查看详情</source>
        <translation>Select a product to see its detail</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="163"/>
        <source>年度</source>
        <translation>Year</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="163"/>
        <source>开始</source>
        <translation>Start</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="163"/>
        <source>结束</source>
        <translation>End</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="164"/>
        <source>约定量</source>
        <translation>Agreed volume</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="164"/>
        <source>已采购</source>
        <translation>Purchased</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="175"/>
        <source>查看采购明细</source>
        <translation>Show purchases</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="180"/>
        <source>编辑未完成原因…</source>
        <translation>Edit lag reason…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="188"/>
        <source>协议期</source>
        <translation>Periods</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="189"/>
        <source>免考核</source>
        <translation>Exemptions</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="192"/>
        <source>标记：</source>
        <translation>Marks:</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="193"/>
        <source>停用：</source>
        <translation>Suspension:</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="195"/>
        <source>未完成原因：</source>
        <translation>Lag reason:</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="197"/>
        <source>标记与停用</source>
        <translation>Marks and suspension</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="216"/>
        <source>批次：%1</source>
        <translation>Batch: %1</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="217"/>
        <source>生产企业：%1</source>
        <translation>Manufacturer: %1</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="218"/>
        <source>中选价：%1 元/%2</source>
        <translation>Selected price: %1 yuan/%2</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="244"/>
        <source>没有协议期</source>
        <translation>No agreement period</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="258"/>
        <source>（生效中）</source>
        <translation> (active)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="261"/>
        <location filename="../../ui/pages/products.py" line="265"/>
        <source>无</source>
        <translation>None</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="267"/>
        <source>%1 起停用：%2</source>
        <translation>Suspended from %1: %2</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="270"/>
        <source>未停用</source>
        <translation>Not suspended</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="274"/>
        <source>未填写</source>
        <translation>Not given</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="220"/>
        <source>状态：%1；完成进度 %2，序时进度 %3</source>
        <translation>Status: %1; completion %2, schedule %3</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="183"/>
        <source>暂停使用 / 恢复使用…</source>
        <translation>Suspend / lift suspension…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="224"/>
        <source>缺口：%1%2（应采 %3，已采 %4）</source>
        <translation>Shortfall: %1 %2 (due %3, bought %4)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="227"/>
        <source>距约定量尚余：%1%2</source>
        <translation>Left of the agreed volume: %1 %2</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="238"/>
        <source>第 %1 年协议期：月度目标与实际采购（%2）</source>
        <translation>Agreement year %1: monthly target and purchases (%2)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="242"/>
        <source>协议期结束 %1</source>
        <translation>Agreement ends %1</translation>
    </message>
</context>
<context>
    <name>ProductListDialog</name>
    <message>
        <location filename="../../ui/widgets/indicators_panel.py" line="35"/>
        <source>编号</source>
        <translation>No.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/indicators_panel.py" line="35"/>
        <source>通用名</source>
        <translation>Generic name</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/indicators_panel.py" line="35"/>
        <source>规格</source>
        <translation>Spec</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/indicators_panel.py" line="36"/>
        <source>生产企业</source>
        <translation>Manufacturer</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/indicators_panel.py" line="36"/>
        <source>数据</source>
        <translation>Figures</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/indicators_panel.py" line="51"/>
        <source>双击中选产品查看其进度。</source>
        <translation>Double-click a selected product to see its progress.</translation>
    </message>
</context>
<context>
    <name>ProductPicker</name>
    <message>
        <location filename="../../ui/widgets/adjustments_editor.py" line="39"/>
        <source>搜索产品</source>
        <translation>Search products</translation>
    </message>
</context>
<context>
    <name>ProductsPage</name>
    <message>
        <location filename="../../ui/pages/products.py" line="291"/>
        <location filename="../../ui/pages/products.py" line="382"/>
        <source>全部批次</source>
        <translation>All batches</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="294"/>
        <source>全部状态</source>
        <translation>All statuses</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="298"/>
        <source>通用名、生产企业或规格</source>
        <translation>Generic name, manufacturer or spec</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="300"/>
        <source>导出 Excel…</source>
        <translation>Export to Excel…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="301"/>
        <source>批次设置…</source>
        <translation>Batch settings…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="303"/>
        <source>批次类别（药品/耗材）与采购周期顺延</source>
        <translation>Batch kind (drug/consumable) and cycle extension</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="364"/>
        <source>产品进度</source>
        <translation>Products</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="368"/>
        <source>正在计算进度…</source>
        <translation>Computing progress…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="397"/>
        <source>显示 %1 / %2 个产品</source>
        <translation>Showing %1 of %2 products</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="445"/>
        <source>未填写</source>
        <translation>Not given</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="446"/>
        <source>未完成原因</source>
        <translation>Lag reason</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="447"/>
        <source>该产品未完成约定采购量的原因（留空即清除）：</source>
        <translation>Why this product lags its agreed volume (empty clears it):</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="491"/>
        <source>导出进度表</source>
        <translation>Export progress</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="492"/>
        <source>Excel 工作簿 (*.xlsx)</source>
        <translation>Excel workbook (*.xlsx)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="506"/>
        <source>已导出：%1</source>
        <translation>Exported: %1</translation>
    </message>
</context>
<context>
    <name>ProgressModel</name>
    <message>
        <location filename="../../ui/pages/products.py" line="45"/>
        <source>通用名</source>
        <extracomment>What a pharmacist reads first comes first, so that at 1366 px the status, completion, schedule, shortfall, remaining volume and non-selected share show without scrolling.</extracomment>
        <translation>Generic name</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="46"/>
        <source>规格</source>
        <translation>Spec</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="45"/>
        <source>状态</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="46"/>
        <source>已采购</source>
        <translation>Purchased</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="47"/>
        <source>约定采购量</source>
        <translation>Agreed volumes</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="45"/>
        <source>缺口</source>
        <translation>Shortfall</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="46"/>
        <source>非中选占比</source>
        <translation>Non-selected share</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="47"/>
        <source>生产企业</source>
        <translation>Manufacturer</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="47"/>
        <source>批次</source>
        <translation>Batch</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="47"/>
        <source>提示</source>
        <translation>Flags</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="45"/>
        <source>完成进度</source>
        <translation>Completion</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="45"/>
        <source>序时进度</source>
        <translation>Schedule</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="46"/>
        <source>序时目标</source>
        <translation>Target to date</translation>
    </message>
    <message>
        <location filename="../../ui/pages/products.py" line="46"/>
        <source>尚余</source>
        <translation>Remaining</translation>
    </message>
</context>
<context>
    <name>PurchasesModel</name>
    <message>
        <location filename="../../ui/models/purchases_model.py" line="29"/>
        <source>日期</source>
        <translation>Date</translation>
    </message>
    <message>
        <location filename="../../ui/models/purchases_model.py" line="30"/>
        <source>订单号</source>
        <translation>Order no.</translation>
    </message>
    <message>
        <location filename="../../ui/models/purchases_model.py" line="31"/>
        <source>产品编码</source>
        <translation>Product code</translation>
    </message>
    <message>
        <location filename="../../ui/models/purchases_model.py" line="32"/>
        <source>通用名</source>
        <translation>Generic name</translation>
    </message>
    <message>
        <location filename="../../ui/models/purchases_model.py" line="33"/>
        <source>规格</source>
        <translation>Spec</translation>
    </message>
    <message>
        <location filename="../../ui/models/purchases_model.py" line="34"/>
        <source>生产企业</source>
        <translation>Manufacturer</translation>
    </message>
    <message>
        <location filename="../../ui/models/purchases_model.py" line="35"/>
        <source>中选</source>
        <translation>Selected</translation>
    </message>
    <message>
        <location filename="../../ui/models/purchases_model.py" line="36"/>
        <source>数量</source>
        <translation>Quantity</translation>
    </message>
    <message>
        <location filename="../../ui/models/purchases_model.py" line="37"/>
        <source>单位</source>
        <translation>Unit</translation>
    </message>
    <message>
        <location filename="../../ui/models/purchases_model.py" line="38"/>
        <source>单价（元）</source>
        <translation>Unit price (yuan)</translation>
    </message>
    <message>
        <location filename="../../ui/models/purchases_model.py" line="39"/>
        <source>金额（元）</source>
        <translation>Amount (yuan)</translation>
    </message>
    <message>
        <location filename="../../ui/models/purchases_model.py" line="40"/>
        <source>配送企业</source>
        <translation>Distributor</translation>
    </message>
    <message>
        <location filename="../../ui/models/purchases_model.py" line="41"/>
        <source>来源</source>
        <translation>Source</translation>
    </message>
    <message>
        <location filename="../../ui/models/purchases_model.py" line="220"/>
        <source>是</source>
        <translation>yes</translation>
    </message>
    <message>
        <location filename="../../ui/models/purchases_model.py" line="221"/>
        <source>否</source>
        <translation>no</translation>
    </message>
    <message>
        <location filename="../../ui/models/purchases_model.py" line="204"/>
        <source>该产品自 %1 起暂停使用</source>
        <translation>This product is suspended since %1</translation>
    </message>
</context>
<context>
    <name>PurchasesPage</name>
    <message>
        <location filename="../../ui/pages/purchases.py" line="36"/>
        <source>日期</source>
        <translation>Date</translation>
    </message>
    <message>
        <location filename="../../ui/pages/purchases.py" line="48"/>
        <location filename="../../ui/pages/purchases.py" line="132"/>
        <source>全部产品</source>
        <translation>All products</translation>
    </message>
    <message>
        <location filename="../../ui/pages/purchases.py" line="51"/>
        <source>中选与非中选</source>
        <translation>Selected and non-selected</translation>
    </message>
    <message>
        <location filename="../../ui/pages/purchases.py" line="52"/>
        <source>仅中选产品</source>
        <translation>Selected products only</translation>
    </message>
    <message>
        <location filename="../../ui/pages/purchases.py" line="53"/>
        <source>仅非中选产品</source>
        <translation>Non-selected products only</translation>
    </message>
    <message>
        <location filename="../../ui/pages/purchases.py" line="55"/>
        <source>通用名、编码或订单号</source>
        <translation>Generic name, code or order number</translation>
    </message>
    <message>
        <location filename="../../ui/pages/purchases.py" line="58"/>
        <source>复制所选</source>
        <translation>Copy selection</translation>
    </message>
    <message>
        <location filename="../../ui/pages/purchases.py" line="59"/>
        <source>复制为制表符分隔文本，可直接粘贴到 Excel（Ctrl+C）</source>
        <translation>Copy as tab-separated text for Excel (Ctrl+C)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/purchases.py" line="60"/>
        <source>导入…</source>
        <translation>Import…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/purchases.py" line="107"/>
        <source>复制</source>
        <translation>Copy</translation>
    </message>
    <message>
        <location filename="../../ui/pages/purchases.py" line="116"/>
        <source>采购明细</source>
        <translation>Purchases</translation>
    </message>
    <message>
        <location filename="../../ui/pages/purchases.py" line="134"/>
        <source>（非中选）</source>
        <translation> (non-selected)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/purchases.py" line="157"/>
        <source>正在加载…</source>
        <translation>Loading…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/purchases.py" line="164"/>
        <source>产品 #%1</source>
        <translation>Product #%1</translation>
    </message>
    <message>
        <location filename="../../ui/pages/purchases.py" line="174"/>
        <source>共 %1 条采购记录</source>
        <translation>%1 purchase lines</translation>
    </message>
    <message>
        <location filename="../../ui/pages/purchases.py" line="190"/>
        <source>一次最多复制 %1 行。</source>
        <translation>At most %1 rows can be copied at once.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/purchases.py" line="211"/>
        <source>已复制 %1 行</source>
        <translation>Copied %1 rows</translation>
    </message>
</context>
<context>
    <name>RecordPaymentDialog</name>
    <message>
        <location filename="../../ui/dialogs/payment_dialogs.py" line="25"/>
        <source>登记付款 — 订单 %1</source>
        <translation>Record payment — order %1</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/payment_dialogs.py" line="31"/>
        <source>部分付款</source>
        <translation>Part payment</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/payment_dialogs.py" line="35"/>
        <source>付款金额（元）</source>
        <translation>Amount paid (yuan)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/payment_dialogs.py" line="39"/>
        <source>付款凭证号（可选）</source>
        <translation>Payment reference (optional)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/payment_dialogs.py" line="43"/>
        <source>%1  金额 %2 元，已付 %3 元，未付 %4 元</source>
        <translation>%1  amount %2 yuan, paid %3 yuan, outstanding %4 yuan</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/payment_dialogs.py" line="48"/>
        <source>付款日期</source>
        <translation>Paid on</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/payment_dialogs.py" line="50"/>
        <source>凭证号</source>
        <translation>Reference</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/payment_dialogs.py" line="53"/>
        <source>保存付款</source>
        <translation>Save payment</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/payment_dialogs.py" line="78"/>
        <source>请输入大于 0 的金额</source>
        <translation>Enter an amount above 0</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/payment_dialogs.py" line="80"/>
        <source>金额超过未付金额 %1 元</source>
        <translation>The amount exceeds the %1 yuan outstanding</translation>
    </message>
</context>
<context>
    <name>ReplyDialog</name>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="187"/>
        <source>登记企业答复 — 问题 %1</source>
        <translation>Record supplier reply — issue %1</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="193"/>
        <source>企业承诺了解决日期</source>
        <translation>The supplier promised a resolution date</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="217"/>
        <source>答复时间</source>
        <translation>Replied at</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="218"/>
        <source>承诺解决</source>
        <translation>Promised resolution</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="220"/>
        <source>答复内容</source>
        <translation>Reply</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="223"/>
        <source>保存答复</source>
        <translation>Save reply</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="253"/>
        <source>最迟承诺日期：%1（答复后 5 个工作日；未承诺时即为解决期限）</source>
        <translation>Latest promise: %1 (5 working days after the reply; the resolution due when nothing is promised)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="256"/>
        <source>；%1 年官方日历未发布，日期为暂定</source>
        <translation>; the official calendar for %1 is not published, so the date is provisional</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/issue_dialogs.py" line="267"/>
        <source>承诺日期超过 5 个工作日的期限（最迟 %1）。仍可保存，该答复将被标记并列入预警。</source>
        <translation>The promise is beyond the 5-working-day limit (latest %1). You can still save; the reply will be flagged and listed in the alerts.</translation>
    </message>
</context>
<context>
    <name>ReportsPage</name>
    <message>
        <location filename="../../ui/pages/reports.py" line="60"/>
        <source>报告</source>
        <translation>Reports</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="64"/>
        <source>自查自纠报告</source>
        <translation>Self-check report</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="67"/>
        <source>月度</source>
        <translation>Month</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="68"/>
        <source>季度</source>
        <translation>Quarter</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="69"/>
        <source>年度</source>
        <translation>Year</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="73"/>
        <source> 年</source>
        <translation> </translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="78"/>
        <source>生成并打开</source>
        <translation>Generate and open</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="86"/>
        <source>报告包括执行总体情况、各批次完成进度、非中选产品占比、供应问题、订单与货款结算、报量说明及整改措施，统计截至所选期间末（或计算日期）。</source>
        <translation>The report covers overall execution, progress per batch, the share of non-selected products, supply issues, orders and payments, volume notes and corrective measures, as of the end of the period (or the as-of date).</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="97"/>
        <source>执行进度表</source>
        <translation>Progress workbook</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="98"/>
        <source>导出执行进度表（Excel）…</source>
        <translation>Export progress workbook (Excel)…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="101"/>
        <source>各中选产品当前协议期的约定量、序时进度、完成进度和状态。</source>
        <translation>Agreed volume, schedule, completion and status of every selected product in its current agreement period.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="104"/>
        <source>已生成的文档</source>
        <translation>Generated documents</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="107"/>
        <source>生成时间</source>
        <translation>Generated</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="107"/>
        <source>类型</source>
        <translation>Type</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="107"/>
        <source>内容</source>
        <translation>Content</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="108"/>
        <source>经办人</source>
        <translation>By</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="108"/>
        <source>文件</source>
        <translation>File</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="115"/>
        <source>打开</source>
        <translation>Open</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="117"/>
        <source>打开所在文件夹</source>
        <translation>Open folder</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="119"/>
        <source>还没有生成过文档。</source>
        <translation>No documents generated yet.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="160"/>
        <source>第一季度</source>
        <translation>Q1</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="160"/>
        <source>第二季度</source>
        <translation>Q2</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="160"/>
        <source>第三季度</source>
        <translation>Q3</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="161"/>
        <source>第四季度</source>
        <translation>Q4</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="185"/>
        <source>期间：%1（%2 至 %3）</source>
        <translation>Period: %1 (%2 to %3)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="188"/>
        <source>——尚未开始</source>
        <translation> — not started yet</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="200"/>
        <source>未保存的修改</source>
        <translation>Unsaved changes</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="201"/>
        <source>%1 的整改措施有未保存的修改。放弃这些修改吗？</source>
        <translation>The findings of %1 have unsaved changes. Discard them?</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="228"/>
        <source>问题 %1</source>
        <translation>Issue %1</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="230"/>
        <source>（文件已不存在）</source>
        <translation> (file no longer exists)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="260"/>
        <source>正在汇总数据…</source>
        <translation>Gathering data…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="283"/>
        <source>正在生成自查自纠报告…</source>
        <translation>Writing the self-check report…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="292"/>
        <source>导出执行进度表</source>
        <translation>Export progress workbook</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="292"/>
        <source>Excel 文件 (*.xlsx)</source>
        <translation>Excel files (*.xlsx)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="298"/>
        <source>正在计算进度…</source>
        <translation>Computing progress…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="307"/>
        <source>正在导出执行进度表…</source>
        <translation>Exporting the progress workbook…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="312"/>
        <source>已生成：%1</source>
        <translation>Written: %1</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="321"/>
        <source>打开文档</source>
        <translation>Open document</translation>
    </message>
    <message>
        <location filename="../../ui/pages/reports.py" line="321"/>
        <source>文件已被移动或删除：%1</source>
        <translation>The file was moved or deleted: %1</translation>
    </message>
</context>
<context>
    <name>RetentionPage</name>
    <message>
        <location filename="../../ui/pages/retention.py" line="29"/>
        <source>全部协议年度</source>
        <translation>All agreement years</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="31"/>
        <source>第 %1 协议年度</source>
        <translation>Agreement year %1</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="33"/>
        <source>导出 Excel</source>
        <translation>Export Excel</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="43"/>
        <source>估算值，以医保部门核定为准。节约金额 = (集采前单价 − 中选单价) × 报量与计入采购量中较小者；估算 = 节约金额 × 留用比例。双击一行查看产品。</source>
        <translation>An estimate; the insurance bureau decides. Saving = (pre-VBP unit price − selected unit price) × the smaller of reported volume and counted purchases; estimate = saving × retention rate. Double-click a row to see the product.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="50"/>
        <source>产品</source>
        <translation>Product</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="50"/>
        <source>生产企业</source>
        <translation>Manufacturer</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="50"/>
        <source>协议年度</source>
        <translation>Agreement year</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="50"/>
        <source>报量</source>
        <translation>Reported</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="50"/>
        <source>计入采购量</source>
        <translation>Counted purchases</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="51"/>
        <source>集采前单价</source>
        <translation>Pre-VBP unit price</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="51"/>
        <source>单价来源</source>
        <translation>Price from</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="51"/>
        <source>中选单价</source>
        <translation>Selected unit price</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="51"/>
        <source>节约金额</source>
        <translation>Saving</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="51"/>
        <source>估算</source>
        <translation>Estimate</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="52"/>
        <source>说明</source>
        <translation>Note</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="68"/>
        <source>结余留用</source>
        <translation>Surplus retention</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="74"/>
        <source>正在加载…</source>
        <translation>Loading…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="79"/>
        <source>执行前 12 个月均价</source>
        <translation>Average of the 12 months before</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="79"/>
        <source>参考价</source>
        <translation>Reference price</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="94"/>
        <source>估算合计：%1 元（留用比例 %2）</source>
        <translation>Estimated total: %1 yuan (retention rate %2)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="98"/>
        <source>提醒：以下中选品种在基线年度有采购但未报量，不能获得结余留用：%1</source>
        <translation>Warning: these selected generic names were bought in the baseline year but not reported, so earn no retention: %1</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="106"/>
        <source>未报量：不予拨付结余留用资金</source>
        <translation>Not reported: no retention is paid</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="108"/>
        <source>缺少集采前价格</source>
        <translation>No pre-VBP price</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="110"/>
        <source>缺少中选价格</source>
        <translation>No selected price</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="112"/>
        <source>集采前价格不高于中选价格，无结余</source>
        <translation>Pre-VBP price not above the selected price: no saving</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="113"/>
        <source>估算值</source>
        <translation>Estimate</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="113"/>
        <source>估算值（集采前价格为参考价）</source>
        <translation>Estimate (pre-VBP price is the reference price)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="123"/>
        <source>导出结余留用估算</source>
        <translation>Export the retention estimate</translation>
    </message>
    <message>
        <location filename="../../ui/pages/retention.py" line="131"/>
        <source>已导出：%1</source>
        <translation>Exported: %1</translation>
    </message>
</context>
<context>
    <name>SettingsPage</name>
    <message>
        <location filename="../../ui/pages/settings.py" line="53"/>
        <source>医院与策略</source>
        <translation>Hospital and policies</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="54"/>
        <source>工作日历</source>
        <translation>Working calendar</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="55"/>
        <source>免考核与替代</source>
        <translation>Exemptions and substitutes</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="56"/>
        <source>数据库与备份</source>
        <translation>Database and backup</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="57"/>
        <source>语言</source>
        <translation>Language</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="63"/>
        <source>设置</source>
        <translation>Settings</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="84"/>
        <source>医院信息（打印在报告和函件的页眉）</source>
        <translation>Hospital (printed in the header of reports and letters)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="89"/>
        <source>项目</source>
        <translation>Setting</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="89"/>
        <source>值</source>
        <translation>Value</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="89"/>
        <source>默认值</source>
        <translation>Default</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="104"/>
        <source>恢复默认</source>
        <translation>Reset to default</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="116"/>
        <source>保存设置</source>
        <translation>Save settings</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="118"/>
        <source>放弃修改</source>
        <translation>Discard changes</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="210"/>
        <source>没有需要保存的修改。</source>
        <translation>Nothing to save.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="220"/>
        <source>已保存 %1 项设置。</source>
        <translation>%1 setting(s) saved.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="233"/>
        <source>“%1”已恢复默认值。</source>
        <translation>“%1” reset to its default.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="263"/>
        <source>当前数据库</source>
        <translation>Current database</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="270"/>
        <source>更换数据库位置（下次启动时生效）</source>
        <translation>Change the database location (takes effect at the next start)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="271"/>
        <source>本机文件（SQLite，单机使用）</source>
        <translation>Local file (SQLite, one workstation)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="273"/>
        <source>数据库服务器（PostgreSQL，多人共用）</source>
        <translation>Database server (PostgreSQL, shared)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="281"/>
        <source>例如 D:\集采\hospital.db</source>
        <translation>e.g. D:\VBP\hospital.db</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="282"/>
        <source>浏览…</source>
        <translation>Browse…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="285"/>
        <source>postgresql+psycopg://用户:密码@服务器:5432/数据库</source>
        <translation>postgresql+psycopg://user:password@server:5432/database</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="287"/>
        <source>测试连接</source>
        <translation>Test connection</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="289"/>
        <source>下次启动时使用此数据库</source>
        <translation>Use this database from the next start</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="304"/>
        <source>文件</source>
        <translation>File</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="306"/>
        <source>连接地址</source>
        <translation>Connection URL</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="310"/>
        <source>备份与恢复</source>
        <translation>Backup and restore</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="311"/>
        <source>立即备份…</source>
        <translation>Back up now…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="313"/>
        <source>从备份恢复…</source>
        <translation>Restore from backup…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="323"/>
        <source>“.zip”为通用备份（可在单机文件和服务器之间迁移）；其他扩展名为 SQLite 文件副本。恢复前会保留当前数据的副本。</source>
        <translation>“.zip” is the portable backup (moves between a local file and a server); any other extension is a copy of the SQLite file. Restoring keeps a copy of the current data first.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="346"/>
        <source>下次启动将使用：%1</source>
        <translation>Next start uses: %1</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="355"/>
        <source>选择数据库文件</source>
        <translation>Choose database file</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="356"/>
        <source>数据库文件 (*.db *.sqlite)</source>
        <translation>Database files (*.db *.sqlite)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="367"/>
        <source>正在连接…</source>
        <translation>Connecting…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="397"/>
        <source>已保存。下次启动程序时将打开：%1</source>
        <translation>Saved. The next start opens: %1</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="405"/>
        <source>备份到</source>
        <translation>Back up to</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="406"/>
        <source>通用备份 (*.zip);;SQLite 文件副本 (*.db)</source>
        <translation>Portable backup (*.zip);;SQLite file copy (*.db)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="414"/>
        <source>正在备份…</source>
        <translation>Backing up…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="418"/>
        <source>已备份到 %1（%2 行）。</source>
        <translation>Backed up to %1 (%2 rows).</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="425"/>
        <source>选择备份文件</source>
        <translation>Choose backup file</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="426"/>
        <source>备份文件 (*.zip *.db *.sqlite);;所有文件 (*)</source>
        <translation>Backup files (*.zip *.db *.sqlite);;All files (*)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="429"/>
        <source>从备份恢复</source>
        <translation>Restore from backup</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="430"/>
        <source>恢复将用备份“%1”替换当前数据库中的全部数据。当前数据会先保留一份副本。

确定恢复吗？</source>
        <translation>Restoring replaces all data in the current database with the backup “%1”. A copy of the current data is kept first.

Restore?</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="435"/>
        <source>正在恢复…</source>
        <translation>Restoring…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="438"/>
        <source>已从 %1 恢复。原数据副本：%2</source>
        <translation>Restored from %1. Copy of the previous data: %2</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="451"/>
        <source>应用</source>
        <translation>Apply</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="454"/>
        <source>界面语言</source>
        <translation>Interface language</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="481"/>
        <source>已保存。新语言在重新启动程序后完整生效。</source>
        <translation>Saved. The new language fully applies after a restart.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/settings.py" line="86"/>
        <source>策略参数（按政策文件设定的默认值，可按本地文件调整）</source>
        <translation>Policies (defaults from the policy documents; adjust to local rules)</translation>
    </message>
</context>
<context>
    <name>StatusStyle</name>
    <message>
        <location filename="../../ui/status_style.py" line="62"/>
        <source>［暂停］</source>
        <extracomment>Text colour of a suspended product&apos;s name (R17), wherever the product appears.</extracomment>
        <translation>[suspended] </translation>
    </message>
</context>
<context>
    <name>SuppliersPage</name>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="60"/>
        <source>生成约谈材料（PDF）</source>
        <translation>Supplier sheet (PDF)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="66"/>
        <source>期间</source>
        <translation>Period</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="74"/>
        <source>企业</source>
        <translation>Company</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="74"/>
        <source>角色</source>
        <translation>Role</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="74"/>
        <source>订单数</source>
        <translation>Orders</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="74"/>
        <source>响应率</source>
        <translation>Response rate</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="74"/>
        <source>配送及时率</source>
        <translation>Timeliness</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="75"/>
        <source>订单配送率</source>
        <translation>Delivery rate</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="75"/>
        <source>供应问题</source>
        <translation>Supply issues</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="75"/>
        <source>按时解决</source>
        <translation>Resolved in time</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="75"/>
        <source>上报</source>
        <translation>Escalated</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="75"/>
        <source>评价</source>
        <translation>Level</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="76"/>
        <source>问题最多的产品</source>
        <translation>Products with most issues</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="88"/>
        <source>订单号</source>
        <translation>Order no.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="88"/>
        <location filename="../../ui/pages/suppliers.py" line="93"/>
        <source>产品</source>
        <translation>Product</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="88"/>
        <source>下单时间</source>
        <translation>Placed</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="88"/>
        <source>响应时间</source>
        <translation>Responded</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="88"/>
        <source>送达时间</source>
        <translation>Delivered</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="89"/>
        <source>订购/到货</source>
        <translation>Ordered/delivered</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="89"/>
        <source>按时响应</source>
        <translation>Responded in time</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="89"/>
        <source>按时足量送达</source>
        <translation>Delivered in time and in full</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="93"/>
        <source>编号</source>
        <translation>No.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="93"/>
        <source>反馈时间</source>
        <translation>Reported</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="93"/>
        <source>答复时间</source>
        <translation>Replied</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="93"/>
        <source>解决时间</source>
        <translation>Resolved</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="94"/>
        <source>结果</source>
        <translation>Outcome</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="101"/>
        <source>订单</source>
        <translation>Orders</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="102"/>
        <source>供应问题（双击打开）</source>
        <translation>Supply issues (double-click to open)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="113"/>
        <source>供应企业</source>
        <translation>Suppliers</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="132"/>
        <source>正在加载…</source>
        <translation>Loading…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="137"/>
        <source>严重</source>
        <translation>serious</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="137"/>
        <source>预警</source>
        <translation>warning</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="137"/>
        <source>激励</source>
        <translation>incentive</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="138"/>
        <source>生产企业</source>
        <translation>Manufacturer</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="138"/>
        <source>配送企业</source>
        <translation>Distributor</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="163"/>
        <source>共 %1 家企业，%2 家有订单；严重 %3，预警 %4</source>
        <translation>%1 companies, %2 with orders; serious %3, warning %4</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="195"/>
        <source>是</source>
        <translation>yes</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="195"/>
        <source>否</source>
        <translation>no</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="206"/>
        <source>按时</source>
        <translation>on time</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="206"/>
        <source>逾期</source>
        <translation>late</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="206"/>
        <source>处理中</source>
        <translation>pending</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="209"/>
        <source>，已上报</source>
        <translation>, escalated</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="216"/>
        <source>订单（%1 行）</source>
        <translation>Orders (%1 lines)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="217"/>
        <source>供应问题（%1 件，双击打开）</source>
        <translation>Supply issues (%1, double-click to open)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/suppliers.py" line="239"/>
        <source>已生成：%1</source>
        <translation>Written: %1</translation>
    </message>
</context>
<context>
    <name>SuspensionDialog</name>
    <message>
        <location filename="../../ui/dialogs/suspension_dialog.py" line="42"/>
        <location filename="../../ui/dialogs/suspension_dialog.py" line="75"/>
        <location filename="../../ui/dialogs/suspension_dialog.py" line="138"/>
        <source>暂停使用</source>
        <extracomment>Topics a suspension touches: the product everywhere it appears.</extracomment>
        <translation>Suspend</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/suspension_dialog.py" line="53"/>
        <source>因质量风险或不良反应暂停使用</source>
        <translation>Suspend for a quality risk or adverse reaction</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/suspension_dialog.py" line="61"/>
        <source>如：批号 240312 抽检不合格；或：多例皮疹不良反应</source>
        <translation>e.g. lot 240312 failed a quality test; or: several cases of rash</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/suspension_dialog.py" line="65"/>
        <source>生产企业</source>
        <translation>Manufacturer</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/suspension_dialog.py" line="65"/>
        <source>卫生健康部门</source>
        <translation>Health authority</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/suspension_dialog.py" line="66"/>
        <source>药品监督管理部门</source>
        <translation>Drug authority</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/suspension_dialog.py" line="74"/>
        <source>其他报告对象，多个用逗号分隔（如：市药品不良反应监测中心）</source>
        <translation>Other recipients, separated by commas (e.g. the city adverse-reaction monitoring centre)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/suspension_dialog.py" line="78"/>
        <source>暂停日期</source>
        <translation>Suspended from</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/suspension_dialog.py" line="79"/>
        <source>原因</source>
        <translation>Reason</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/suspension_dialog.py" line="80"/>
        <source>已报告给</source>
        <translation>Reported to</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/suspension_dialog.py" line="84"/>
        <source>恢复使用…</source>
        <translation>Lift suspension…</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/suspension_dialog.py" line="86"/>
        <source>质量问题已排除，恢复采购和使用</source>
        <translation>The quality problem is resolved: purchasing and use resume</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/suspension_dialog.py" line="124"/>
        <source>当前：自 %1 起暂停使用。原因：%2。已报告给：%3。</source>
        <translation>Suspended since %1. Reason: %2. Reported to: %3.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/suspension_dialog.py" line="134"/>
        <source>保存修改</source>
        <translation>Save changes</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/suspension_dialog.py" line="136"/>
        <source>当前：正常使用（未暂停）。</source>
        <translation>In use (not suspended).</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/suspension_dialog.py" line="145"/>
        <source>尚未报告</source>
        <translation>not yet reported</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/suspension_dialog.py" line="159"/>
        <source>已登记暂停使用。</source>
        <translation>Suspension recorded.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/suspension_dialog.py" line="168"/>
        <source>恢复使用</source>
        <translation>Lift suspension</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/suspension_dialog.py" line="168"/>
        <source>确定恢复使用“%1”吗？恢复后该产品不再标记为暂停使用。</source>
        <translation>Lift the suspension of “%1”? The product will no longer be marked as suspended.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/suspension_dialog.py" line="172"/>
        <source>已恢复使用。</source>
        <translation>Suspension lifted.</translation>
    </message>
</context>
<context>
    <name>TodayPage</name>
    <message>
        <location filename="../../ui/pages/today.py" line="34"/>
        <location filename="../../ui/pages/today.py" line="63"/>
        <source>正在加载…</source>
        <translation>Loading…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/today.py" line="40"/>
        <source>待办事项</source>
        <translation>To do</translation>
    </message>
    <message>
        <location filename="../../ui/pages/today.py" line="40"/>
        <source>期限</source>
        <translation>Due</translation>
    </message>
    <message>
        <location filename="../../ui/pages/today.py" line="40"/>
        <source>操作</source>
        <translation>Action</translation>
    </message>
    <message>
        <location filename="../../ui/pages/today.py" line="54"/>
        <source>今日待办（%1）</source>
        <translation>To do today (%1)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/today.py" line="57"/>
        <source>今日待办</source>
        <translation>To do today</translation>
    </message>
    <message>
        <location filename="../../ui/pages/today.py" line="71"/>
        <source>打开问题</source>
        <translation>Open issue</translation>
    </message>
    <message>
        <location filename="../../ui/pages/today.py" line="73"/>
        <source>打印上报函</source>
        <translation>Print escalation letter</translation>
    </message>
    <message>
        <location filename="../../ui/pages/today.py" line="75"/>
        <source>打开产品</source>
        <translation>Open product</translation>
    </message>
    <message>
        <location filename="../../ui/pages/today.py" line="76"/>
        <source>打开付款</source>
        <translation>Open payments</translation>
    </message>
    <message>
        <location filename="../../ui/pages/today.py" line="76"/>
        <source>打开报量核对</source>
        <translation>Open volume check</translation>
    </message>
    <message>
        <location filename="../../ui/pages/today.py" line="77"/>
        <source>打开采购明细</source>
        <translation>Open purchases</translation>
    </message>
    <message>
        <location filename="../../ui/pages/today.py" line="77"/>
        <source>打开</source>
        <translation>Open</translation>
    </message>
    <message>
        <location filename="../../ui/pages/today.py" line="81"/>
        <source>尽快</source>
        <translation>As soon as possible</translation>
    </message>
    <message>
        <location filename="../../ui/pages/today.py" line="84"/>
        <source>（已逾期 %1 天）</source>
        <translation> (%1 days overdue)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/today.py" line="92"/>
        <source>今天没有待办事项。</source>
        <translation>Nothing to do today.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/today.py" line="95"/>
        <source>共 %1 项待办，分 %2 类。双击一行或点击右侧按钮即可处理。</source>
        <translation>%1 things to do in %2 groups. Double-click a row or press its button.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/today.py" line="101"/>
        <source>%1（%2 项）</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/today.py" line="105"/>
        <source>最早 %1</source>
        <translation>earliest %1</translation>
    </message>
</context>
<context>
    <name>VolumesPage</name>
    <message>
        <location filename="../../ui/pages/volumes.py" line="41"/>
        <source>报量说明</source>
        <translation>Volume notes</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="46"/>
        <source>导入报量文件…</source>
        <translation>Import volume report…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="48"/>
        <source>为需说明的品种生成草稿</source>
        <translation>Draft notes where needed</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="50"/>
        <source>导出说明 PDF</source>
        <translation>Export notes (PDF)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="52"/>
        <source>导出说明 Excel</source>
        <translation>Export notes (Excel)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="54"/>
        <source>只看需说明</source>
        <translation>Needing a note only</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="67"/>
        <source>报量</source>
        <translation>Report</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="66"/>
        <source>通用名</source>
        <translation>Generic name</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="66"/>
        <source>规格</source>
        <translation>Spec</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="67"/>
        <source>生产企业</source>
        <translation>Manufacturer</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="66"/>
        <source>基线</source>
        <translation>Baseline</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="66"/>
        <source>报量数</source>
        <translation>Reported</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="66"/>
        <source>变化</source>
        <translation>Change</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="67"/>
        <source>需说明</source>
        <translation>Note needed</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="67"/>
        <source>说明状态</source>
        <translation>Note status</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="108"/>
        <source>情况说明</source>
        <translation>Note</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="110"/>
        <location filename="../../ui/pages/volumes.py" line="278"/>
        <source>请选择一个需要说明的品种。</source>
        <translation>Select a product that needs a note.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="125"/>
        <source>补充说明（选择“其他”时必填）</source>
        <translation>Additional explanation (required with “Other”)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="132"/>
        <source>保存</source>
        <translation>Save</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="134"/>
        <source>重新生成草稿</source>
        <translation>Redraft</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="136"/>
        <source>签字确认</source>
        <translation>Sign off</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="138"/>
        <location filename="../../ui/pages/volumes.py" line="344"/>
        <source>撤销签字</source>
        <translation>Withdraw sign-off</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="147"/>
        <source>原因（可多选）</source>
        <translation>Reasons (choose any)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="152"/>
        <source>说明草稿（由数据和所选原因生成）</source>
        <translation>Draft (from the data and the chosen reasons)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="183"/>
        <source>草稿</source>
        <translation>Draft</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="183"/>
        <source>已签字</source>
        <translation>Signed</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="189"/>
        <source>无需</source>
        <translation>Not needed</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="193"/>
        <source>%1 年实际采购量（基本单位）</source>
        <translation>Actual purchases %1 (base units)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="205"/>
        <source>共 %1 行，需说明 %2 行，已签字 %3 行</source>
        <translation>%1 lines, %2 need a note, %3 signed</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="210"/>
        <source>尚未导入报量数据。点击“导入报量文件…”选择医保平台导出的报量表（通用名、规格、报量数）。</source>
        <translation>No volume report imported yet. Click “Import volume report…” and choose the file exported from the platform (generic name, spec, reported volume).</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="274"/>
        <source>%1 %2：变化 %3，在阈值范围内，无需说明。</source>
        <translation>%1 %2: change %3, within the threshold; no note needed.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="288"/>
        <source>%1 %2（%3）：基线 %4（%5 年），报量 %6，变化 %7 — %8</source>
        <translation>%1 %2 (%3): baseline %4 (%5), reported %6, change %7 — %8</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="294"/>
        <source>已由 %1 于 %2 签字确认，已锁定。</source>
        <translation>Signed off by %1 on %2; locked.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="298"/>
        <source>草稿，未签字。</source>
        <translation>Draft, not signed.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="305"/>
        <source>近12个月采购量</source>
        <translation>Purchases, last 12 months</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="306"/>
        <source>近12个月趋势：%1</source>
        <translation>Last 12 months: %1</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="345"/>
        <source>撤销后该说明恢复为草稿，需要重新签字。确定撤销 %1 的签字吗？</source>
        <translation>The note goes back to draft and must be signed again. Withdraw the sign-off of %1?</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="361"/>
        <source>已为 %1 个品种生成或更新草稿。</source>
        <translation>Drafted or updated notes for %1 product(s).</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="368"/>
        <source>选择报量文件</source>
        <translation>Choose volume report file</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="369"/>
        <source>表格文件 (*.xlsx *.xls *.csv)</source>
        <translation>Spreadsheets (*.xlsx *.xls *.csv)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="377"/>
        <source>正在导入报量…</source>
        <translation>Importing the volume report…</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="383"/>
        <source>导入完成：%1 行，新增 %2，更新 %3，未变 %4。</source>
        <translation>Imported: %1 lines, %2 new, %3 updated, %4 unchanged.</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="393"/>
        <source>PDF 文件 (*.pdf)</source>
        <translation>PDF files (*.pdf)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="393"/>
        <source>Excel 文件 (*.xlsx)</source>
        <translation>Excel files (*.xlsx)</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="394"/>
        <source>导出报量说明</source>
        <translation>Export volume notes</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="410"/>
        <source>已导出：%1</source>
        <translation>Exported: %1</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="298"/>
        <source>待审核（系统根据采购数据起草）。</source>
        <translation>To review (drafted from the purchase data).</translation>
    </message>
    <message>
        <location filename="../../ui/pages/volumes.py" line="183"/>
        <source>待审核</source>
        <translation>To review</translation>
    </message>
</context>
<context>
    <name>app</name>
    <message>
        <location filename="../../ui/app.py" line="76"/>
        <source>数据库密码</source>
        <translation>Database password</translation>
    </message>
    <message>
        <location filename="../../ui/app.py" line="77"/>
        <source>%1 的密码：</source>
        <translation>Password for %1:</translation>
    </message>
</context>
<context>
    <name>i18n</name>
    <message>
        <location filename="../../ui/app.py" line="126"/>
        <source>集采执行助手</source>
        <comment>VBP Execution Assistant</comment>
        <translation>VBP Execution Assistant</translation>
    </message>
</context>
</TS>

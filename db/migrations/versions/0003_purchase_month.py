"""purchase_month: per product and month, the sums of the purchase lines, kept by triggers

Issues 17 and 21: progress, indicators and the volume checks read whole months from this
summary instead of summing 500 000 lines at every start. The triggers (db/summaries.py)
keep it equal to the lines on every write; the upgrade fills it from the lines already there.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

from db import summaries

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('purchase_month',
    sa.Column('product_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('amount_lines', sa.Integer(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('product_id', 'month', name=op.f('pk_purchase_month'))
    )
    summaries.install(op.get_bind())


def downgrade() -> None:
    conn = op.get_bind()
    for statement in summaries.drop_ddl(conn.dialect.name):
        conn.exec_driver_sql(statement)
    op.drop_table('purchase_month')

"""order_shape and orders.settled_on: what R4/R5 need of the orders, kept by triggers

Issues 17 and 21: whether every order is one line becomes one read of ``order_shape``
instead of a walk of the order-number index in every process, and the overdue deliveries
(R5) are found among the lines not settled by d (``ix_orders_settled``) instead of summing
the payments of every delivery ever accepted. The triggers (db/order_summaries.py) keep both
equal to the rows on every write; the upgrade fills them from the rows already there.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

from db import order_summaries

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('orders', sa.Column('settled_on', sa.Date(), nullable=True))
    op.create_index('ix_orders_settled', 'orders',
                    ['settled_on', 'accepted_on', 'order_no', 'company_id', 'amount'], unique=False)
    op.create_table('order_shape',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('repeated', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_shape'))
    )
    order_summaries.install(op.get_bind())


def downgrade() -> None:
    conn = op.get_bind()
    for statement in order_summaries.drop_ddl(conn.dialect.name):
        conn.exec_driver_sql(statement)
    op.drop_table('order_shape')
    op.drop_index('ix_orders_settled', table_name='orders')
    with op.batch_alter_table('orders') as batch:
        batch.drop_column('settled_on')

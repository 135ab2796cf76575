"""order_shape, orders.settled_on and the R4 durations: what R4/R5 need of the orders, kept by the database

Issues 17 and 21: whether every order is one line becomes one read of ``order_shape``
instead of a walk of the order-number index in every process, and the overdue deliveries
(R5) are found among the lines not settled by d (``ix_orders_settled``) instead of summing
the payments of every delivery ever accepted. The triggers (db/order_summaries.py) keep both
equal to the rows on every write; the upgrade fills them from the rows already there.
``response_us`` / ``delivery_us`` (generated columns, in ``ix_orders_placed_cover``) make the
R4 48 h / 4 h windows integer comparisons when the orders are counted.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

from db import order_summaries
from db.sql_time import micros_between

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def _generated(name: str, later: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), sa.Computed(micros_between(sa.column('placed_at'), sa.column(later))),
                     nullable=True)


def upgrade() -> None:
    op.add_column('orders', sa.Column('settled_on', sa.Date(), nullable=True))
    # R4: durations computed by the database, kept in the covering index of the R4 counts.
    op.add_column('orders', _generated('response_us', 'responded_at'))
    op.add_column('orders', _generated('delivery_us', 'delivered_at'))
    op.drop_index('ix_orders_placed_cover', table_name='orders')
    op.create_index('ix_orders_placed_cover', 'orders',
                    ['placed_at', 'company_id', 'product_id', 'order_no', 'responded_at', 'delivered_at', 'emergency',
                     'quantity', 'delivered_quantity', 'response_us', 'delivery_us'], unique=False)
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
    op.drop_index('ix_orders_placed_cover', table_name='orders')
    op.create_index('ix_orders_placed_cover', 'orders',
                    ['placed_at', 'company_id', 'product_id', 'order_no', 'responded_at', 'delivered_at', 'emergency',
                     'quantity', 'delivered_quantity'], unique=False)
    with op.batch_alter_table('orders') as batch:
        batch.drop_column('delivery_us')
        batch.drop_column('response_us')
        batch.drop_column('settled_on')

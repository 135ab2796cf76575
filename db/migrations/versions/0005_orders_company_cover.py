"""ix_orders_company_placed covers the R4 counts: each distributor's orders by placing time

Issue 21: the R4 tallies of the alerts, the dashboard and the supplier scorecard are counted
per distributor and quarter. Read by placing time (``ix_orders_placed_cover``) the ~190 000
orders of three quarters had to be sorted by distributor (0.14 s at hospital scale); read
through this index, each distributor's orders of a quarter are one range that comes in
distributor order, with every column the count needs (0.05 s). The index kept its name and
its first two columns, so what used it before still can.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

COVER = ['company_id', 'placed_at', 'responded_at', 'delivered_at', 'emergency', 'response_us', 'delivery_us']


def upgrade() -> None:
    op.drop_index('ix_orders_company_placed', table_name='orders')
    op.create_index('ix_orders_company_placed', 'orders', COVER, unique=False)


def downgrade() -> None:
    op.drop_index('ix_orders_company_placed', table_name='orders')
    op.create_index('ix_orders_company_placed', 'orders', ['company_id', 'placed_at'], unique=False)

//! The orders database's tables (created by `braid_migrations::orders`).

macro_rules! table {
    ($module:ident, $table:literal, { $($body:tt)* }) => {
        pub mod $module {
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
            #[sea_orm(table_name = $table)]
            pub struct Model { $($body)* }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }
    };
}

table!(cart_line, "cart_lines", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub product_id: String,
    pub quantity: i64,
    pub added_at: ChronoDateTimeUtc,
});

table!(order_event, "order_events", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub order_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: i64,
    pub event_type: String,
    pub payload: String,
    pub recorded_at: ChronoDateTimeUtc,
});

table!(order, "orders", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub number: String,
    pub buyer_id: String,
    pub idempotency_key: String,
    pub request_hash: String,
    pub status: String,
    pub total_minor: i64,
    pub currency: String,
    pub lines: String,
    pub shipping_address: String,
    pub timeline: String,
    pub shipment: Option<String>,
    pub failure_reason: Option<String>,
    pub placed_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    pub version: i64,
});

table!(saga, "sagas", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub order_id: String,
    pub state: String,
    pub version: i64,
    pub deadline: Option<ChronoDateTimeUtc>,
    pub updated_at: ChronoDateTimeUtc,
    /// The checkout's trace (W3C `traceparent`), continued by the saga's timer.
    pub traceparent: Option<String>,
});

table!(payment, "payments", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub order_id: String,
    pub status: String,
    pub payment_id: Option<String>,
    pub amount_minor: i64,
    pub currency: String,
    pub updated_at: ChronoDateTimeUtc,
});

table!(shipment, "shipments", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub order_id: String,
    pub shipment_id: String,
    pub carrier: String,
    pub tracking: String,
    pub status: String,
    pub next_at: Option<ChronoDateTimeUtc>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    /// The checkout's trace (W3C `traceparent`), continued by the carrier's moves.
    pub traceparent: Option<String>,
});

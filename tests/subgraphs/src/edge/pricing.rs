//! pricing: takes `Book.price` over from books (`@override(from: "books")`) and computes
//! shipping with `@requires`: `shippingCost` takes arguments and requires `pages`;
//! `carbonGrams` requires `weight(unit: KILOGRAM)`, a field that itself takes arguments.

use async_graphql::{Context, EmptyMutation, EmptySubscription, Enum, ID, Object, Schema};

use super::{books::WeightUnit, data::book_by_id};
use crate::entities::{Federated, missing_required, null_entity};

pub(crate) type PricingSchema = Schema<Federated<Query>, EmptyMutation, EmptySubscription>;

pub(crate) fn schema() -> PricingSchema {
    Schema::build(Federated(Query), EmptyMutation, EmptySubscription).enable_federation().finish()
}

pub(crate) struct Query;

#[Object]
impl Query {
    #[graphql(entity)]
    async fn find_book_by_id(&self, #[graphql(key)] id: ID, pages: Option<i32>, weight: Option<f64>) -> Option<Book> {
        book_by_id(&id).map(|row| Book { id, list_price: row.list_price, pages, weight })
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Zone {
    Domestic,
    Eu,
    World,
}

pub(crate) struct Book {
    id: ID,
    list_price: i32,
    /// From the representation (`@requires(fields: "pages")`).
    pages: Option<i32>,
    /// From the representation, in kilograms (`@requires(fields: "weight(unit: KILOGRAM)")`).
    weight: Option<f64>,
}

#[Object]
impl Book {
    async fn id(&self) -> &ID {
        &self.id
    }

    /// The current price in cents: 10% below the list price books still reports.
    #[graphql(override_from = "books")]
    async fn price(&self) -> i32 {
        self.list_price * 9 / 10
    }

    // Owned by books; answered from the representation when present.
    #[graphql(external)]
    async fn pages(&self) -> async_graphql::Result<i32> {
        self.pages.ok_or_else(|| missing_required("pages"))
    }

    // Owned by books; answered from the representation (in kilograms) when present.
    #[graphql(external)]
    async fn weight(
        &self,
        #[graphql(default_with = "WeightUnit::Gram")] unit: WeightUnit,
    ) -> async_graphql::Result<f64> {
        let kilograms = self.weight.ok_or_else(|| missing_required("weight"))?;
        Ok(if unit == WeightUnit::Gram { kilograms * 1000.0 } else { kilograms })
    }

    /// In cents: a base per zone plus 50 per started 100 pages, doubled for express.
    #[graphql(requires = "pages")]
    async fn shipping_cost(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Zone::Domestic")] zone: Zone,
        #[graphql(default = false)] express: bool,
    ) -> async_graphql::Result<i32> {
        let Some(pages) = self.pages else { return null_entity(ctx, missing_required("pages")) };
        let base = match zone {
            Zone::Domestic => 300,
            Zone::Eu => 800,
            Zone::World => 1500,
        };
        let cost = base + 50 * ((pages + 99) / 100);
        Ok(if express { cost * 2 } else { cost })
    }

    /// Grams of CO2 for shipping it: 2 kg per kg.
    #[graphql(requires = "weight(unit: KILOGRAM)")]
    async fn carbon_grams(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let Some(kilograms) = self.weight else { return null_entity(ctx, missing_required("weight")) };
        Ok((kilograms * 2000.0).round() as i32)
    }
}

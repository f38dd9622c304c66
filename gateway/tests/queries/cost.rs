//! Demand control: the static cost from `@cost` and `@listSize` in the supergraph, enforced
//! before any subgraph is asked, and the actual cost of what was returned when asked for.

use braid_gateway::config::CostMode;
use braid_test_subgraphs::Supergraph;
use serde_json::{Value, json};

use crate::federation::{Builder, Federation, Reply};

/// The demo supergraph with costs marked, as a composer that keeps them writes them.
fn marked_demo() -> String {
    let sdl = Supergraph::Demo
        .sdl()
        .replace(
            "topProducts(first: Int = 5): [Product!]! @join__field(graph: PRODUCTS)",
            r#"topProducts(first: Int = 5): [Product!]! @join__field(graph: PRODUCTS) @listSize(slicingArguments: ["first"])"#,
        )
        .replace(
            "shippingEstimate: Int @join__field(graph: INVENTORY, requires: \"price weight\")",
            "shippingEstimate: Int @join__field(graph: INVENTORY, requires: \"price weight\") @cost(weight: 5)",
        );
    assert_eq!(sdl.matches("@listSize").count() + sdl.matches("@cost").count(), 2, "the marks are in place");
    format!(
        "{sdl}\ndirective @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR\n\
         directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION\n"
    )
}

async fn start(mode: CostMode) -> Federation {
    Builder::new(Supergraph::Demo)
        .sdl(marked_demo())
        .config(|c| {
            c.cost.mode = mode;
            c.cost.max = 40;
        })
        .start()
        .await
}

async fn ask(federation: &Federation, query: &str, variables: Value, report: bool) -> Reply {
    let extensions = if report { json!({"cost": true}) } else { json!(null) };
    let body = json!({"query": query, "variables": variables, "extensions": extensions});
    federation.post(body.to_string(), &[("accept", "application/graphql-response+json")]).await
}

/// Two products, each 1 + its shipping estimate (5) + 10 reviews (no `@listSize`: the default).
const TWO: &str = "{ topProducts(first: 2) { upc shippingEstimate reviews { body } } }";

#[tokio::test]
async fn an_operation_above_the_budget_is_refused_with_its_cost_before_any_fetch() {
    let federation = start(CostMode::Enforce).await;
    let reply = ask(&federation, TWO, json!(null), true).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body["data"]["topProducts"][1]["reviews"], json!([{"body": "Too expensive."}]));
    // Estimated 2 x 16; returned: the Table with 2 reviews (8), the Couch with 1 (7).
    assert_eq!(reply.body["extensions"], json!({"cost": {"estimated": 32.0, "actual": 15.0, "max": 40}}));

    let reply = ask(&federation, &TWO.replace("first: 2", "first: 3"), json!(null), false).await;
    assert_eq!(reply.status, 400, "{reply:?}");
    assert_eq!(reply.codes(), ["COST_ESTIMATED_TOO_EXPENSIVE"]);
    assert_eq!(reply.body["errors"][0]["extensions"]["cost"], 48.0);
    assert_eq!(reply.body["errors"][0]["extensions"]["maxCost"], 40);
    assert!(reply.body.get("data").is_none(), "nothing was executed: {reply:?}");

    // The slicing argument from a variable; without it, the schema's default (5).
    let by_variable = "query ($n: Int) { topProducts(first: $n) { upc } }";
    assert_eq!(ask(&federation, by_variable, json!({"n": 100}), false).await.codes(), ["COST_ESTIMATED_TOO_EXPENSIVE"]);
    assert_eq!(ask(&federation, by_variable, json!({"n": 40}), false).await.status, 200);
    let reply = ask(&federation, "{ topProducts { upc } }", json!(null), true).await;
    assert_eq!(reply.body["extensions"]["cost"]["estimated"], 5.0);
    assert!(ask(&federation, TWO, json!(null), false).await.body.get("extensions").is_none(), "reported when asked");
}

#[tokio::test]
async fn measured_costs_are_reported_and_never_refused() {
    let federation = start(CostMode::Measure).await;
    let reply = ask(&federation, &TWO.replace("first: 2", "first: 5"), json!(null), true).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body["extensions"]["cost"]["estimated"], 80.0);
    // Five products with 2, 1, 1, 0 and 0 reviews: 5 x 6 + 4.
    assert_eq!(reply.body["extensions"]["cost"]["actual"], 34.0);
}

use graphql_tools::static_graphql::query::Definition;

use super::*;
use crate::plan::shape::compile;

const SDL: &str = r#"
    type Query {
        products(first: Int = 5): [Product!]! @listSize(slicingArguments: ["first"])
        featured: [Product!]! @listSize(assumedSize: 3)
        search(text: String @cost(weight: 4), limit: Int): ProductConnection!
            @listSize(slicingArguments: ["limit"], sizedFields: ["edges", "nodes"])
        anything: [Item!]!
        me: User
    }
    type Mutation { buy(upc: String!): Product @cost(weight: 5) }
    type Product { upc: String! price: Int! @cost(weight: 2) reviews: [Review!]! rating: Rating }
    type Review { body: String! author: User! }
    type User { name: String! }
    type Rating @cost(weight: 7) { stars: Int! }
    type ProductConnection { edges: [ProductEdge!]! nodes: [Product!]! count: Int! }
    type ProductEdge { node: Product! }
    union Item = Product | Review
"#;

fn cost(query: &str, variables: serde_json::Value) -> f64 {
    let schema = graphql_tools::parser::parse_schema::<String>(SDL).unwrap().into_static();
    let types = TypeIndex::new(&schema);
    let model = CostModel::new(&types);
    let document = graphql_tools::parser::parse_query::<String>(query).unwrap().into_static();
    let Some(Definition::Operation(operation)) = document.definitions.first() else { panic!("an operation") };
    let mutation = matches!(operation, graphql_tools::static_graphql::query::OperationDefinition::Mutation(_));
    let root = if mutation { "Mutation" } else { "Query" };
    let shape = compile(&document, crate::limits::selection_set(operation), root, &types);
    let variables = variables.as_object().cloned().unwrap_or_default();
    let costing = Costing { model: &model, types: &types, variables: &variables, list_size: 10.0 };
    costing.operation(&shape, root, mutation)
}

#[test]
fn objects_cost_one_and_leaves_nothing_unless_marked() {
    assert_eq!(cost("{ me { name } }", serde_json::Value::Null), 1.0);
    // `rating` is a Rating, a type marked 7.
    assert_eq!(cost("{ me { name } featured { rating { stars } } }", serde_json::Value::Null), 1.0 + 3.0 * (1.0 + 7.0));
}

#[test]
fn lists_count_by_their_slicing_argument_their_default_or_their_assumed_size() {
    // 2 products, each 1 + its price (2) + 10 reviews (default size) of 1 + their author (1).
    let each = 1.0 + 2.0 + 10.0 * (1.0 + 1.0);
    let query = "{ products(first: 2) { upc price reviews { body author { name } } } }";
    assert_eq!(cost(query, serde_json::Value::Null), 2.0 * each);
    let query = "query ($n: Int) { products(first: $n) { upc price reviews { body author { name } } } }";
    assert_eq!(cost(query, serde_json::json!({"n": 40})), 40.0 * each);
    // Not given: the schema's default, 5.
    assert_eq!(cost("{ products { price } }", serde_json::Value::Null), 5.0 * 3.0);
    assert_eq!(cost("{ featured { upc } }", serde_json::Value::Null), 3.0);
}

#[test]
fn a_connection_sizes_its_edges_and_nodes_and_marked_arguments_add_their_weight() {
    // The connection once, each of 20 edges (1 + its node 1) and 20 nodes (1), and `text`'s 4.
    let query = r#"{ search(text: "lamp", limit: 20) { count edges { node { upc } } nodes { upc } } }"#;
    assert_eq!(cost(query, serde_json::Value::Null), 1.0 + 20.0 * 2.0 + 20.0 + 4.0);
}

#[test]
fn abstract_positions_cost_their_costliest_member_and_mutations_start_at_ten() {
    let query = "{ anything { ... on Product { price } ... on Review { author { name } } } }";
    // Each of 10 items: a Product 1 + 2, a Review 1 + 1: the costlier counts.
    assert_eq!(cost(query, serde_json::Value::Null), 10.0 * 3.0);
    assert_eq!(cost(r#"mutation { buy(upc: "1") { upc price } }"#, serde_json::Value::Null), 10.0 + 5.0 + 2.0);
}

//! Spec-compliant `_entities` and field errors on top of async-graphql.
//!
//! async-graphql 7.2 answers `_entities` with `try_join_all`: one failing representation nulls
//! the whole list, error paths lack the item index (`["_entities", "field"]`), and a failing field
//! is left out of its object instead of being null. Apollo's subgraph libraries, which gateways
//! are written against, answer per item: `["_entities", 3, "field"]`, the failing item null and
//! the others intact. [`Federated`] wraps a query root so that every representation is resolved
//! in its own context (the index is in every path) and a failure nulls only its item;
//! [`null_with_error`] and [`null_entity`] let resolvers fail the way the GraphQL spec says.

use std::{
    borrow::Cow,
    collections::{HashMap, HashSet, VecDeque},
    sync::{Mutex, PoisonError},
};

use async_graphql::{
    Any, Context, ContextSelectionSet, Error, ErrorExtensions, ObjectType, OutputType, Positioned, QueryPathSegment,
    Request, ServerError, ServerResult, Value, parser::types::Field, registry::Registry, resolver_utils::ContainerType,
    resolver_utils::resolve_container,
};

/// A query root whose `_entities` resolves each representation on its own.
pub(crate) struct Federated<Q>(pub(crate) Q);

impl<Q: ObjectType> OutputType for Federated<Q> {
    fn type_name() -> Cow<'static, str> {
        Q::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        Q::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, _field: &Positioned<Field>) -> ServerResult<Value> {
        resolve_container(ctx, self).await
    }
}

impl<Q: ObjectType> ObjectType for Federated<Q> {}

impl<Q: ObjectType> ContainerType for Federated<Q> {
    async fn resolve_field(&self, ctx: &Context<'_>) -> ServerResult<Option<Value>> {
        self.0.resolve_field(ctx).await
    }

    async fn find_entity(&self, ctx: &Context<'_>, params: &Value) -> ServerResult<Option<Value>> {
        let index = representation_index(ctx, params)?;
        let item = ctx.with_index(index);
        match self.0.find_entity(&item, params).await {
            Ok(Some(value)) => {
                let nulled = ctx.data_opt::<EntityState>().is_some_and(|state| state.lock().nulled.contains(&index));
                Ok(Some(if nulled { Value::Null } else { value }))
            }
            Ok(None) => {
                let message = format!("no entity resolver matches the representation {params}");
                ctx.add_error(item.set_error_path(ServerError::new(message, Some(ctx.item.pos))));
                Ok(Some(Value::Null))
            }
            Err(error) => {
                ctx.add_error(error);
                Ok(Some(Value::Null))
            }
        }
    }
}

/// Per-request bookkeeping of `_entities`; [`with_entity_state`] adds it to a request.
#[derive(Default)]
pub(crate) struct EntityState(Mutex<EntityStateInner>);

#[derive(Default)]
struct EntityStateInner {
    /// Representation (as GraphQL text) to the indexes it is at, not yet handed out.
    positions: Option<HashMap<String, VecDeque<usize>>>,
    /// Items a non-null field error must null.
    nulled: HashSet<usize>,
}

impl EntityState {
    fn lock(&self) -> std::sync::MutexGuard<'_, EntityStateInner> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Adds the per-request state [`Federated`] and [`null_entity`] use.
pub(crate) fn with_entity_state(request: Request) -> Request {
    request.data(EntityState::default())
}

/// The index of `params` in the `representations` argument. Equal representations resolve to
/// equal results, so which of them gets which index does not matter.
fn representation_index(ctx: &Context<'_>, params: &Value) -> ServerResult<usize> {
    let representations = || ctx.param_value::<Vec<Any>>("representations", None).map(|(_, list)| list);
    let Some(state) = ctx.data_opt::<EntityState>() else {
        let index = representations()?.iter().position(|any| &any.0 == params);
        return Ok(index.unwrap_or(0));
    };
    let mut state = state.lock();
    let positions = match &mut state.positions {
        Some(positions) => positions,
        empty => {
            let mut positions: HashMap<String, VecDeque<usize>> = HashMap::new();
            for (index, any) in representations()?.into_iter().enumerate() {
                positions.entry(any.0.to_string()).or_default().push_back(index);
            }
            empty.insert(positions)
        }
    };
    Ok(positions.get_mut(&params.to_string()).and_then(VecDeque::pop_front).unwrap_or(0))
}

/// The error of a resolver whose `@requires` input is not in the representation (a gateway bug).
pub(crate) fn missing_required(what: &str) -> Error {
    Error::new(format!("`{what}` is missing from the representation"))
        .extend_with(|_, e| e.set("code", "MISSING_REQUIRED_FIELDS"))
}

/// A nullable field that fails: records `error` at the field's path and answers null.
pub(crate) fn null_with_error<T>(ctx: &Context<'_>, error: Error) -> Option<T> {
    ctx.add_error(ctx.set_error_path(error.into_server_error(ctx.item.pos)));
    None
}

/// A non-null field of an `_entities` item that fails: records `error` at the field's path and
/// nulls the whole item (the value returned is never sent). Outside `_entities` the error is
/// returned as is.
pub(crate) fn null_entity<T: Default>(ctx: &Context<'_>, error: Error) -> async_graphql::Result<T> {
    let item = ctx.path_node.as_ref().and_then(|node| {
        node.parents().find_map(|node| match (node.segment, node.parent) {
            (QueryPathSegment::Index(index), Some(parent))
                if parent.parent.is_none() && matches!(parent.segment, QueryPathSegment::Name("_entities")) =>
            {
                Some(index)
            }
            _ => None,
        })
    });
    match (item, ctx.data_opt::<EntityState>()) {
        (Some(index), Some(state)) => {
            state.lock().nulled.insert(index);
            ctx.add_error(ctx.set_error_path(error.into_server_error(ctx.item.pos)));
            Ok(T::default())
        }
        _ => Err(error),
    }
}

//! A subscription fed by events: its filter and per-event query made when it opens, then one
//! response per event it may see.
//!
//! Each event is answered by running the per-event query through the gateway's ordinary
//! stages as the subscriber, so the viewer's rights are those of the moment of delivery: an
//! entity the viewer can no longer see answers NOT_FOUND or FORBIDDEN, and that event is not
//! delivered.

use std::sync::Arc;

use braid_kit::events::Replay;
use http::{HeaderMap, StatusCode};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::binding::Binding;
use super::cursor::Cursor;
use super::hub::{End, Event, Feed, Filter};
use super::rewrite::{self, EventQuery, KEY_VARIABLE};
use super::{Next, Opened};
use crate::error::{Code, GraphqlError, RequestError};
use crate::request::GraphqlRequest;
use crate::service::Gateway;

/// Responses sent to subscribers.
pub(super) static DELIVERED: std::sync::LazyLock<metrics::Counter> =
    std::sync::LazyLock::new(|| metrics::counter!("braid_gateway_subscription_events_delivered_total"));
/// From reading an event off the bus to its response being ready for the client.
static LATENCY: std::sync::LazyLock<metrics::Histogram> =
    std::sync::LazyLock::new(|| metrics::histogram!("braid_gateway_subscription_event_seconds"));

/// An open subscription fed by events.
pub struct Fed {
    /// The subscriber's events (its topic and filter included).
    feed: Feed,
    /// Where this subscriber stands in its topic: sent with each response (the SSE event id)
    /// for the client to resume from.
    position: Cursor,
    /// Records read again from the broker after a resume, before the feed.
    replay: Option<Box<dyn Replay>>,
    /// What the replay reads: events of the feed before these positions came through it.
    replayed: Cursor,
    query: Arc<EventQuery>,
    /// What this subscription shares its answers with (see [`super::shared`]).
    resolution: super::shared::Key,
    /// When the token it was opened with expires (seconds since the Unix epoch).
    expires_at: Option<u64>,
    operation_name: Option<String>,
    variables: Map<String, Value>,
    /// The last response sent: an event that changes nothing the subscriber selected is not
    /// sent again.
    last: Option<String>,
}

/// Opens the subscription `operation` (its root field `field` bound by `binding`) for
/// `identity`, the client of `headers`.
pub(super) async fn open(gateway: &Gateway, opened: Opened<'_>, binding: &Binding) -> Result<Fed, RequestError> {
    let Opened { operation, identity, variables, field, headers } = opened;
    if gateway.events.get().is_none() {
        return Err(RequestError::bad(
            Code::SubscriptionUnavailable,
            format!("Subscription.{field} is fed by events, and this gateway reads none (see the [events] section)"),
        ));
    }
    let name = operation.requested_name.as_deref();
    let query = rewrite::rewrite(&operation.document, name, &binding.lookup, "id")?;
    let argument = binding.argument.as_ref().and_then(|a| rewrite::argument(&operation.document, name, a, &variables));
    let filter = match (&argument, &binding.owner) {
        (Some(Value::Array(items)), _) => Filter::keyed(items.iter().map(key_text)),
        (Some(value), _) => Filter::keyed([key_text(value)]),
        (None, _) if binding.argument.is_some() => Filter::keyed([]),
        (None, Some(owner)) => {
            let subject = identity.claims.subject.clone().ok_or_else(|| {
                RequestError::new(
                    StatusCode::UNAUTHORIZED,
                    Code::Unauthenticated,
                    format!("Subscription.{field} needs a bearer token"),
                )
            })?;
            Filter::Field { field: owner.clone(), value: Value::String(subject) }
        }
        (None, None) => Filter::All,
    };
    let filter = match &binding.when {
        Some(field) => Filter::Flagged { field: field.clone(), within: Box::new(filter) },
        None => filter,
    };
    let filter = match &binding.kind {
        Some(prefix) => Filter::Kind { prefix: prefix.clone(), within: Box::new(filter) },
        None => filter,
    };
    // One entity named: the viewer must see it now, or the subscription is refused (another
    // buyer's order is NOT_FOUND), rather than accepted and silent.
    if let Some(single @ (Value::String(_) | Value::Number(_))) = &argument {
        let request = event_request(&query, &operation.requested_name, &variables, key_text(single));
        let body = Box::pin(crate::request::execute_for_event(gateway, request, headers, None)).await?;
        let response = serde_json::from_slice::<Map<String, Value>>(&body).unwrap_or_default();
        if !visible(&response, true) {
            let first = response.get("errors").and_then(|e| e.get(0));
            let code = first.and_then(|e| e.pointer("/extensions/code")).and_then(Value::as_str).unwrap_or("NOT_FOUND");
            let message = first.and_then(|e| e.get("message")).and_then(Value::as_str).unwrap_or("not found");
            // The subgraph's own code is kept: it said why.
            let error = GraphqlError::new(Code::NotFound, message).with_extension("code", code);
            return Err(RequestError::with_errors(StatusCode::NOT_FOUND, vec![error]));
        }
    }
    let feed = gateway.hub.subscribe(&binding.topic, filter);
    let resolution = super::shared::key(
        &query.text,
        operation.requested_name.as_deref(),
        &variables,
        identity.claims.subject.as_deref(),
        &identity.claims.scopes,
    );
    Ok(Fed {
        resolution,
        expires_at: identity.expires_at,
        feed,
        position: Cursor::default(),
        replay: None,
        replayed: Cursor::default(),
        query: gateway.resolutions.query(query),
        operation_name: operation.requested_name.clone(),
        variables,
        last: None,
    })
}

/// The per-event query for the entity `key`, with the subscription's variables.
fn event_request(
    query: &EventQuery,
    operation_name: &Option<String>,
    variables: &Map<String, Value>,
    key: String,
) -> GraphqlRequest {
    let mut variables = variables.clone();
    variables.insert(KEY_VARIABLE.to_string(), Value::String(key));
    GraphqlRequest {
        query: Some(query.text.clone()),
        operation_name: operation_name.clone(),
        variables: Some(variables),
        extensions: None,
    }
}

fn key_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Fed {
    /// The event's own values of the leaf fields it carries (`status` of an order update): the
    /// state at that event, even when the entity has moved on by the time it is delivered.
    fn overlay(&self, response: &mut Map<String, Value>, event: &Event) {
        let Some(entity) = response.get_mut("data").and_then(|d| d.get_mut(&self.query.response_key)) else { return };
        let Some(entity) = entity.as_object_mut() else { return };
        for (key, name) in &self.query.overlay {
            let carried = event.data.get(name).filter(|v| v.is_string() || v.is_number() || v.is_boolean());
            if let (Some(value), Some(slot)) = (carried, entity.get_mut(key))
                && !slot.is_null()
            {
                *slot = value.clone();
            }
        }
    }

    /// Resumes after `from` (a position this subscription's topic gave out before, on any
    /// instance): the events since are read again from the broker, as far as it still holds
    /// them, then the feed follows on without repeating any.
    pub async fn resume(&mut self, gateway: &Gateway, from: Cursor) -> Result<(), RequestError> {
        let bus = gateway.events.get().ok_or_else(|| RequestError::bad(Code::SubscriptionUnavailable, "no events"))?;
        let replay = bus.replay(self.feed.topic(), &from.positions()).await.map_err(|e| {
            RequestError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                Code::SubscriptionUnavailable,
                format!("the events to resume from cannot be read now: {e}"),
            )
        })?;
        // The feed's events before where the client stood, or before what the replay reads,
        // reached the client already or come by the replay.
        self.replayed = from.clone();
        self.position = from;
        self.replay = Some(replay);
        Ok(())
    }

    /// When the token the subscription was opened with expires.
    pub fn expires_at(&self) -> Option<u64> {
        self.expires_at
    }

    /// Where this subscriber stands now: every event before it has been answered or was not
    /// for it.
    pub fn position(&self) -> &Cursor {
        &self.position
    }

    /// The next event for this subscriber: replayed ones first, then the feed's.
    async fn event(&mut self, skipped_before: &mut u64) -> Result<Arc<Event>, End> {
        loop {
            if let Some(replay) = self.replay.as_mut() {
                match replay.next().await {
                    Ok(Some(delivery)) => {
                        self.position.pass(delivery.partition, delivery.offset);
                        self.replayed.pass(delivery.partition, delivery.offset);
                        match Event::from_delivery(&delivery) {
                            Some(event) if self.feed.filter().matches(&event) => return Ok(Arc::new(event)),
                            _ => continue,
                        }
                    }
                    Ok(None) => self.replay = None,
                    Err(e) => {
                        tracing::warn!(error = %e, topic = %self.feed.topic(), "subscriptions: a resume could not read every event");
                        self.replay = None;
                    }
                }
                continue;
            }
            let (event, skipped) = self.feed.next().await?;
            *skipped_before += skipped;
            if self.replayed.covers(event.partition, event.offset) {
                continue;
            }
            self.position.merge(&event.position);
            return Ok(event);
        }
    }

    /// Waits for the next event this subscriber may see and answers it.
    pub async fn next(&mut self, gateway: &Gateway, headers: &HeaderMap) -> Next {
        let mut skipped_before = 0;
        loop {
            let event = match self.event(&mut skipped_before).await {
                Ok(event) => event,
                Err(end) => return Next::Ended(end),
            };
            let request = event_request(&self.query, &self.operation_name, &self.variables, event.key.clone());
            // Boxed: a subscriber waits far longer than it answers, and a query's state inline
            // would make every idle subscriber's task as large as a running query.
            let traceparent = event.traceparent.as_deref();
            let run = async { crate::request::execute_for_event(gateway, request, headers, traceparent).await.ok() };
            let answer = Box::pin(gateway.resolutions.resolve(&event.id, &self.resolution, run));
            let Some(body) = answer.await else { continue };
            let Ok(mut response) = serde_json::from_slice::<Map<String, Value>>(&body) else { continue };
            if !visible(&response, self.feed.filter().keys().is_some()) {
                continue;
            }
            self.overlay(&mut response, &event);
            let text = serde_json::to_string(&response).unwrap_or_default();
            if self.last.as_deref() == Some(text.as_str()) {
                continue;
            }
            self.last = Some(text);
            if skipped_before > 0 {
                let extensions = response.entry("extensions").or_insert_with(|| Value::Object(Map::new()));
                if let Some(extensions) = extensions.as_object_mut() {
                    extensions.insert("skippedEvents".into(), skipped_before.into());
                }
            }
            let text = serde_json::to_string(&response).unwrap_or_default();
            match RawValue::from_string(text) {
                Ok(body) => {
                    DELIVERED.increment(1);
                    LATENCY.record(event.received.elapsed().as_secs_f64());
                    return Next::Response { body };
                }
                Err(_) => continue,
            }
        }
    }
}

/// Whether a per-event response shows the entity: not when the lookup answered that the viewer
/// may not see it (or that it is gone). A lookup may also answer null for both; a subscriber
/// who named the entity (`keyed`) is told it is gone, one who did not gets nothing: a null for
/// an entity they never saw would tell them only that something they may not see changed.
fn visible(response: &Map<String, Value>, keyed: bool) -> bool {
    let data_is_null =
        response.get("data").is_none_or(|data| data.as_object().is_none_or(|d| d.values().all(Value::is_null)));
    let hidden = response.get("errors").and_then(Value::as_array).is_some_and(|errors| {
        errors.iter().any(|e| {
            matches!(
                e.pointer("/extensions/code").and_then(Value::as_str),
                Some("NOT_FOUND" | "FORBIDDEN" | "UNAUTHENTICATED")
            )
        })
    });
    !(data_is_null && (hidden || !keyed))
}

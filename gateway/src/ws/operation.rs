//! One operation on a connection, as the stream of messages it sends: a subscription's `next`
//! per event until its feed ends, a query's or mutation's one `next`, then what ends it
//! (`complete` or `error`). The connection polls every operation's stream on its own task, so
//! an idle subscriber costs one boxed stream, not a task and channels of its own.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;

use futures::Stream;
use http::HeaderMap;

use super::protocol::ServerMessage;
use crate::error::{Code, GraphqlError};
use crate::request::GraphqlRequest;
use crate::service::Gateway;
use crate::subscriptions::Next;
use crate::subscriptions::hub::End;
use crate::subscriptions::live::{self, Live};

/// A message of an operation; `last` when it is the one that ends it.
pub(super) struct Sent {
    pub message: ServerMessage,
    pub last: bool,
}

/// An operation's messages, in order.
pub(super) type Messages = Pin<Box<dyn Stream<Item = Sent> + Send>>;

/// The operation `request` with id `id`, run as the client of `headers`.
pub(super) fn messages(
    gateway: Arc<Gateway>,
    request: GraphqlRequest,
    headers: Arc<HeaderMap>,
    id: String,
) -> Messages {
    // The operation on the heap apart from the stream's future (see `Operation::step`).
    let operation = Box::new(Operation { gateway, headers, id, state: State::Opening(Box::new(request)) });
    Box::pin(futures::stream::unfold(operation, Operation::step))
}

struct Operation {
    gateway: Arc<Gateway>,
    headers: Arc<HeaderMap>,
    id: String,
    state: State,
}

enum State {
    /// Not opened yet: authenticated, validated and authorized on the first poll.
    Opening(Box<GraphqlRequest>),
    /// A subscription, waiting for its next event.
    Streaming(Live),
    /// A query with `@defer`: its payloads, each a `next`, then `complete`.
    Deferring(tokio::sync::mpsc::Receiver<serde_json::Value>),
    /// The messages that end it, still to send.
    Ending(VecDeque<ServerMessage>),
}

impl Operation {
    /// The next message, and the operation to go on with. Takes the operation boxed: a value
    /// moved into an async fn is stored in its future twice.
    async fn step(mut self: Box<Self>) -> Option<(Sent, Box<Operation>)> {
        loop {
            let state = std::mem::replace(&mut self.state, State::Ending(VecDeque::new()));
            match state {
                State::Ending(mut ending) => {
                    let message = ending.pop_front()?;
                    let last = ending.is_empty();
                    self.state = State::Ending(ending);
                    return Some((Sent { message, last }, self));
                }
                // Boxed, as the answers in `Live::next`: an idle subscription's stream keeps
                // only what it waits on.
                State::Opening(request) => match Box::pin(live::open(&self.gateway, &request, &self.headers)).await {
                    Ok(Some(live)) => self.state = State::Streaming(live),
                    Ok(None) => match crate::defer::deliver::requested(&request, self.gateway.config.limits.max_defers)
                    {
                        Some(split) => {
                            self.state = defer(&self.gateway, &self.headers, &self.id, split, *request).await
                        }
                        None => {
                            let ending = Box::pin(execute(&self.gateway, *request, &self.headers, &self.id)).await;
                            self.state = State::Ending(ending.into());
                        }
                    },
                    Err(e) => self.state = State::Ending(VecDeque::from([self.error(&e.errors)])),
                },
                State::Deferring(mut payloads) => match payloads.recv().await {
                    Some(payload) => {
                        self.state = State::Deferring(payloads);
                        let Ok(payload) = serde_json::value::to_raw_value(&payload) else { continue };
                        let message = ServerMessage::Next { id: self.id.clone(), payload };
                        return Some((Sent { message, last: false }, self));
                    }
                    None => {
                        self.state = State::Ending(VecDeque::from([ServerMessage::Complete { id: self.id.clone() }]))
                    }
                },
                State::Streaming(mut live) => match live.next(&self.gateway, &self.headers).await {
                    Next::Response { body } => {
                        self.state = State::Streaming(live);
                        let message = ServerMessage::Next { id: self.id.clone(), payload: body };
                        return Some((Sent { message, last: false }, self));
                    }
                    Next::Ended(End::Lagged) => {
                        self.state = State::Ending(VecDeque::from([self.error(&[live::lagged()])]))
                    }
                    Next::Ended(End::Closed) | Next::Complete => {
                        self.state = State::Ending(VecDeque::from([ServerMessage::Complete { id: self.id.clone() }]));
                    }
                    Next::Failed(errors) => self.state = State::Ending(VecDeque::from([self.error(&errors)])),
                },
            }
        }
    }

    fn error(&self, errors: &[GraphqlError]) -> ServerMessage {
        ServerMessage::error(self.id.as_str(), errors)
    }
}

/// A query with `@defer`, answered in `deferSpec=20220824` payloads (the format GraphQL over
/// WebSocket clients merge), or its refusal.
async fn defer(
    gateway: &Arc<Gateway>,
    headers: &HeaderMap,
    id: &str,
    split: Result<crate::defer::split::Split, crate::error::RequestError>,
    request: GraphqlRequest,
) -> State {
    use crate::defer::deliver::{Format, payloads};
    let origin = crate::request::Origin::default();
    let started = match split {
        Ok(split) => payloads(gateway, split, request, headers, origin, Format::Spec20220824).await,
        Err(e) => Err(e),
    };
    match started {
        Ok(payloads) => State::Deferring(payloads),
        Err(e) => State::Ending(VecDeque::from([ServerMessage::error(id, &e.errors)])),
    }
}

/// A query or mutation: its response as one `next`, then `complete`; or the request's errors.
async fn execute(gateway: &Gateway, request: GraphqlRequest, headers: &HeaderMap, id: &str) -> Vec<ServerMessage> {
    // No address here: an operation with a token spends its subject's budget; one without is
    // bounded by `websocket.max_operations` and `max_connections` only.
    match crate::request::execute(gateway, request, headers, crate::request::Origin::default()).await {
        Ok(answer) => {
            let text = String::from_utf8_lossy(&answer.body).into_owned();
            match serde_json::value::RawValue::from_string(text) {
                Ok(payload) => {
                    vec![
                        ServerMessage::Next { id: id.to_string(), payload },
                        ServerMessage::Complete { id: id.to_string() },
                    ]
                }
                Err(_) => {
                    let error = GraphqlError::new(Code::InternalServerError, "the response was not JSON");
                    vec![ServerMessage::error(id, &[error])]
                }
            }
        }
        Err(e) => vec![ServerMessage::error(id, &e.errors)],
    }
}

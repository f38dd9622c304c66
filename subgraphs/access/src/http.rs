//! A [`Source`] that asks the permissions subgraph over GraphQL, with the viewer's own token
//! (so nobody learns more through it than they could ask themselves).

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use tracing::Instrument as _;

use braid_kit::telemetry::context;

use crate::AccessError;
use crate::source::{Checked, Source, Viewer, Visible, VisibleSet};

#[cfg(test)]
mod tests;

const CHECK: &str = "query BraidVisibility($ids: [ID!]!) { visibility(employeeIds: $ids) { allowed validUntil } }";
const MANAGERS: &str = "query BraidManagers($id: ID!) { employee(id: $id) { chainOfCommand { id } } }";
const VISIBLE: &str = "query BraidVisibleEmployees { visibleEmployees { packed groups validUntil } }";

/// The permissions subgraph's `/graphql`.
pub struct GraphqlSource {
    url: String,
    client: reqwest::Client,
}

#[derive(Deserialize)]
struct Reply<T> {
    data: Option<T>,
    #[serde(default)]
    errors: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CheckData {
    visibility: CheckAnswer,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CheckAnswer {
    allowed: Vec<bool>,
    valid_until: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VisibleData {
    visible_employees: VisibleAnswer,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VisibleAnswer {
    packed: String,
    groups: Vec<String>,
    valid_until: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct ManagersData {
    employee: Option<Chain>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Chain {
    chain_of_command: Vec<Node>,
}

#[derive(Deserialize)]
struct Node {
    id: String,
}

impl GraphqlSource {
    /// The permissions subgraph at `url`, asked with `client` (its TLS and time limit).
    pub fn new(url: impl Into<String>, client: reqwest::Client) -> Self {
        Self { url: url.into(), client }
    }

    async fn ask<T: for<'de> Deserialize<'de>>(
        &self,
        viewer: &Viewer,
        body: serde_json::Value,
    ) -> Result<T, AccessError> {
        let token = viewer.token.as_deref().ok_or_else(|| AccessError::Source("no token to ask with".into()))?;
        let span = context::client_span("POST permissions /graphql");
        let reply: Reply<T> = context::traced(self.client.post(&self.url), &span)
            .bearer_auth(token)
            .json(&body)
            .send()
            .instrument(span)
            .await
            .map_err(|e| AccessError::Source(e.to_string()))?
            .json()
            .await
            .map_err(|e| AccessError::Source(e.to_string()))?;
        match (reply.data, reply.errors.first()) {
            (Some(data), None) => Ok(data),
            (_, Some(error)) => Err(AccessError::Source(error.to_string())),
            (None, None) => Err(AccessError::Source("an answer without data".into())),
        }
    }
}

#[async_trait]
impl Source for GraphqlSource {
    async fn check(&self, viewer: &Viewer, targets: &[i64]) -> Result<Checked, AccessError> {
        let ids: Vec<String> = targets.iter().map(i64::to_string).collect();
        let data: CheckData = self.ask(viewer, json!({ "query": CHECK, "variables": { "ids": ids } })).await?;
        Ok(Checked { allowed: data.visibility.allowed, valid_until: data.visibility.valid_until })
    }

    async fn visible(&self, viewer: &Viewer) -> Result<Visible, AccessError> {
        let data: VisibleData = self.ask(viewer, json!({ "query": VISIBLE })).await?;
        let answer = data.visible_employees;
        let ids = URL_SAFE_NO_PAD
            .decode(&answer.packed)
            .ok()
            .and_then(|bytes| VisibleSet::decode(&bytes))
            .ok_or_else(|| AccessError::Source("a visible set this library cannot read".into()))?;
        let groups = answer
            .groups
            .iter()
            .map(|id| id.parse::<i64>().map_err(|_| AccessError::Source(format!("bad group id {id:?}"))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Visible { ids, groups, valid_until: answer.valid_until })
    }

    async fn managers(&self, viewer: &Viewer, employee: i64) -> Result<Option<Vec<i64>>, AccessError> {
        let body = json!({ "query": MANAGERS, "variables": { "id": employee.to_string() } });
        let data: ManagersData = self.ask(viewer, body).await?;
        let Some(chain) = data.employee else { return Ok(None) };
        let ids = chain
            .chain_of_command
            .iter()
            .map(|n| n.id.parse::<i64>().map_err(|_| AccessError::Source(format!("bad employee id {:?}", n.id))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(ids))
    }
}

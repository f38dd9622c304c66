//! `@ownedBy`, after execution: the owner ids the response holds are checked in one batch
//! (a DataLoader over the permissions subgraph, answers cached), and objects of owners the
//! viewer may not see are nulled by the projector.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_graphql::dataloader::DataLoader;
use braid_access::cache::AccessCache;
use braid_access::http::GraphqlSource;
use braid_access::{Check, Lookup};
use sonic_rs::JsonValueTrait;

use crate::authenticate::Identity;
use crate::config::GatewayConfig;
use crate::error::GatewayError;
use crate::execute::tree::{Node, ObjRef, Ref};
use crate::plan::rewrite::{OWNER_KEY, SHARED_KEY};

/// Batched, cached permission lookups.
pub struct Owners {
    /// `None` when no permissions subgraph is known: every owned object is denied.
    loader: Option<DataLoader<Lookup>>,
}

impl Owners {
    /// From `access` in the config; `endpoints` name the permissions subgraph.
    pub fn new(
        config: &GatewayConfig,
        endpoints: &HashMap<String, String>,
        cache: AccessCache,
    ) -> Result<Self, GatewayError> {
        let access = &config.access;
        let url = access
            .permissions_url
            .clone()
            .or_else(|| config.subgraphs.get("permissions").and_then(|s| s.url.clone()))
            .or_else(|| endpoints.get("permissions").cloned());
        let loader = match url {
            Some(url) => {
                let client = braid_kit::tls::http_client(&config.client_tls, Duration::from_millis(access.timeout_ms))?;
                let lookup = Lookup::new(Arc::new(GraphqlSource::new(url, client)), Some(cache));
                let loader = DataLoader::new(lookup, tokio::spawn)
                    .delay(Duration::from_millis(access.batch_delay_ms))
                    .max_batch_size(10_000);
                Some(loader)
            }
            None => None,
        };
        Ok(Self { loader })
    }

    /// Of `owners`, those the identity may not see. Lookups that fail deny (never allow).
    pub async fn denied_owners(&self, identity: &Identity, owners: HashSet<i64>) -> HashSet<i64> {
        let (Some(viewer), Some(loader)) = (&identity.viewer, &self.loader) else { return owners };
        let checks = owners.iter().map(|&target| Check { viewer: viewer.clone(), target });
        match loader.load_many(checks).await {
            Ok(answers) => owners.into_iter().filter(|o| answers.get(&Check::key(viewer, *o)) != Some(&true)).collect(),
            Err(e) => {
                tracing::warn!(error = %e, "permission lookup failed: owned objects denied");
                owners
            }
        }
    }
}

/// Every owner id fetched under [`OWNER_KEY`] anywhere in `data`, except those of objects
/// shared with the viewer (see [`is_shared`]): those are shown without asking.
pub fn owners(data: &Node<'_>) -> HashSet<i64> {
    fn walk(value: Ref<'_>, out: &mut HashSet<i64>) {
        if let Some(object) = value.object() {
            for (key, v) in object.members() {
                if key == OWNER_KEY {
                    if let Some(id) = v.leaf().and_then(owner_id)
                        && !is_shared(object)
                    {
                        out.insert(id);
                    }
                } else if key != SHARED_KEY {
                    walk(v, out);
                }
            }
        } else if let Some(items) = value.list() {
            items.iter().for_each(|v| walk(v, out));
        }
    }
    let mut out = HashSet::new();
    walk(Ref::from(data), &mut out);
    out
}

/// Did the subgraph say, under [`SHARED_KEY`], that `object` is shared with the viewer? Only
/// objects whose marks have an `unless` fetch it (all their type's marks honour it, and
/// clients may not use the key themselves).
pub fn is_shared(object: ObjRef<'_>) -> bool {
    object.get(SHARED_KEY).and_then(Ref::as_bool) == Some(true)
}

/// An owner id as subgraphs send it (an ID string or a number).
pub fn owner_id(value: &sonic_rs::Value) -> Option<i64> {
    match value.as_str() {
        Some(s) => s.parse().ok(),
        None => value.as_i64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sonic_rs::json;

    #[test]
    fn owners_of_shared_objects_are_not_asked_about() {
        let data = json!({
            "memos": [
                { "_braidOwner": "1", "_braidShared": false },
                { "_braidOwner": "2", "_braidShared": true, "inner": { "_braidOwner": 3 } },
                { "_braidOwner": "4" },
                { "_braidOwner": "5", "_braidShared": "true" },
            ]
        });
        assert_eq!(owners(&Node::Value(&data)), HashSet::from([1, 3, 4, 5]));
    }
}

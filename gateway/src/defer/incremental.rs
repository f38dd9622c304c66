//! The payloads of one incrementally delivered operation, in the format the client asked for:
//! what was sent so far (deferred data is placed where it belongs, so that nested fragments find
//! their places), which fragments wait for their parents, and (v0.2) the pending ids.

use serde_json::{Value, json};

use super::deliver::Format;
use super::split::Split;

/// What has been sent, and what waits for its parent.
pub struct Delivery {
    split: Split,
    format: Format,
    /// The primary answer's data, where deferred fragments are placed.
    data: Value,
    /// Per deferred fragment: sent, and its answer when it came before its parent was sent.
    sent: Vec<bool>,
    waiting: Vec<Option<Value>>,
    /// v0.2: the pending ids of each fragment's instances, with their paths.
    pending: Vec<Vec<(String, Vec<Value>)>>,
    next_id: usize,
    remaining: usize,
}

impl Delivery {
    pub fn new(split: Split, format: Format) -> Self {
        let count = split.deferred.len();
        Self {
            split,
            format,
            data: Value::Null,
            sent: vec![false; count],
            waiting: vec![None; count],
            pending: vec![Vec::new(); count],
            next_id: 0,
            remaining: count,
        }
    }

    /// The first payload: the primary answer, and (v0.2) the fragments it will be followed by.
    pub fn initial(&mut self, mut primary: Value) -> Value {
        self.data = primary.get("data").cloned().unwrap_or(Value::Null);
        primary["hasNext"] = json!(self.remaining > 0);
        if self.format == Format::V02 {
            let roots: Vec<usize> =
                (0..self.split.deferred.len()).filter(|&i| self.split.deferred[i].parent.is_none()).collect();
            primary["pending"] = Value::Array(self.announce(&roots));
        }
        primary
    }

    /// Pending records of the instances of `fragments` in what was sent so far (v0.2).
    fn announce(&mut self, fragments: &[usize]) -> Vec<Value> {
        let mut records = Vec::new();
        for &index in fragments {
            let deferred = &self.split.deferred[index];
            for path in instances(&self.data, &deferred.path) {
                let id = self.next_id.to_string();
                self.next_id += 1;
                let mut record = json!({ "id": id, "path": path });
                if let Some(label) = &deferred.label {
                    record["label"] = json!(label);
                }
                records.push(record);
                self.pending[index].push((id, path));
            }
        }
        records
    }

    /// The payloads an answer to fragment `index` lets out (none while its parent is unsent).
    pub fn arrived(&mut self, index: usize, answer: Value) -> Vec<Value> {
        self.waiting[index] = Some(answer);
        let mut payloads = Vec::new();
        let mut progress = true;
        while progress {
            progress = false;
            for i in 0..self.split.deferred.len() {
                let ready = !self.sent[i]
                    && self.waiting[i].is_some()
                    && self.split.deferred[i].parent.is_none_or(|p| self.sent[p]);
                if ready {
                    let answer = self.waiting[i].take().unwrap_or(Value::Null);
                    payloads.push(self.payload(i, answer));
                    progress = true;
                }
            }
        }
        payloads
    }

    /// The payload of fragment `index`'s answer; its data is merged into what was sent, so that
    /// fragments nested in it find their places.
    fn payload(&mut self, index: usize, answer: Value) -> Value {
        self.sent[index] = true;
        self.remaining -= 1;
        let path = self.split.deferred[index].path.clone();
        let errors = answer.get("errors").cloned();
        let data = answer.get("data").cloned().unwrap_or(Value::Null);
        let places = instances(&data, &path);
        let objects: Vec<(Vec<Value>, Value)> = places
            .into_iter()
            .filter_map(|p| at(&data, &p).filter(|v| v.is_object()).map(|v| (p, v.clone())))
            .collect();
        for (place, object) in &objects {
            if let Some(target) = at_mut(&mut self.data, place) {
                merge(target, object);
            }
        }
        let has_next = self.remaining > 0;
        match self.format {
            Format::Spec20220824 => {
                let label = self.split.deferred[index].label.clone();
                let mut items: Vec<Value> = objects
                    .into_iter()
                    .map(|(path, data)| {
                        let mut item = json!({ "data": data, "path": path });
                        if let Some(label) = &label {
                            item["label"] = json!(label);
                        }
                        item
                    })
                    .collect();
                if let Some(errors) = errors {
                    match items.first_mut() {
                        Some(first) => first["errors"] = errors,
                        None => items.push(json!({ "data": null, "path": path, "errors": errors })),
                    }
                }
                json!({ "incremental": items, "hasNext": has_next })
            }
            Format::V02 => {
                let pending = std::mem::take(&mut self.pending[index]);
                let mut incremental = Vec::new();
                let mut completed = Vec::new();
                for (id, place) in pending {
                    match at(&data, &place).filter(|v| v.is_object()) {
                        Some(object) if errors.is_none() => {
                            incremental.push(json!({ "id": id, "data": object }));
                            completed.push(json!({ "id": id }));
                        }
                        _ => completed.push(json!({ "id": id, "errors": errors.clone().unwrap_or_else(|| json!([])) })),
                    }
                }
                let children: Vec<usize> =
                    (0..self.split.deferred.len()).filter(|&i| self.split.deferred[i].parent == Some(index)).collect();
                let announced = self.announce(&children);
                let mut payload = json!({ "incremental": incremental, "completed": completed, "hasNext": has_next });
                if !announced.is_empty() {
                    payload["pending"] = Value::Array(announced);
                }
                payload
            }
        }
    }
}

/// Every concrete path along `keys` in `data` (lists stepped through by index; nulls end it).
fn instances(data: &Value, keys: &[String]) -> Vec<Vec<Value>> {
    fn walk(value: &Value, keys: &[String], path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
        match value {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(json!(i));
                    walk(item, keys, path, out);
                    path.pop();
                }
            }
            Value::Object(object) => match keys.split_first() {
                None => out.push(path.clone()),
                Some((key, rest)) => {
                    if let Some(child) = object.get(key) {
                        path.push(json!(key));
                        walk(child, rest, path, out);
                        path.pop();
                    }
                }
            },
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(data, keys, &mut Vec::new(), &mut out);
    out
}

fn at<'v>(data: &'v Value, path: &[Value]) -> Option<&'v Value> {
    path.iter().try_fold(data, |value, step| match step {
        Value::Number(n) => value.get(n.as_u64()? as usize),
        Value::String(key) => value.get(key),
        _ => None,
    })
}

fn at_mut<'v>(data: &'v mut Value, path: &[Value]) -> Option<&'v mut Value> {
    path.iter().try_fold(data, |value, step| match step {
        Value::Number(n) => value.get_mut(n.as_u64()? as usize),
        Value::String(key) => value.get_mut(key),
        _ => None,
    })
}

/// Adds `from`'s members to `into`, objects merged member by member.
fn merge(into: &mut Value, from: &Value) {
    if let (Some(into), Some(from)) = (into.as_object_mut(), from.as_object()) {
        for (key, value) in from {
            match into.get_mut(key) {
                Some(existing) if existing.is_object() && value.is_object() => merge(existing, value),
                _ => {
                    into.insert(key.clone(), value.clone());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::split::Deferred;
    use super::*;

    fn split() -> Split {
        let deferred = |label: Option<&str>, parent, path: &[&str]| Deferred {
            label: label.map(str::to_string),
            parent,
            path: path.iter().map(|s| s.to_string()).collect(),
            query: String::new(),
        };
        Split {
            primary: String::new(),
            deferred: vec![deferred(Some("a"), None, &["top"]), deferred(None, Some(0), &["top", "inner"])],
        }
    }

    #[test]
    fn the_2022_format_places_each_instance_and_waits_for_parents() {
        let mut delivery = Delivery::new(split(), Format::Spec20220824);
        let initial = delivery
            .initial(json!({"data": {"top": [{"id": 1, "inner": {"x": 1}}, null, {"id": 2, "inner": {"x": 2}}]}}));
        assert_eq!(initial["hasNext"], true);
        // The nested fragment's answer waits for its parent's.
        assert!(
            delivery.arrived(1, json!({"data": {"top": [{"inner": {"y": 1}}, null, {"inner": {"y": 2}}]}})).is_empty()
        );
        let payloads = delivery.arrived(0, json!({"data": {"top": [{"name": "a"}, null, {"name": "b"}]}}));
        assert_eq!(
            payloads,
            [
                json!({"incremental": [{"data": {"name": "a"}, "path": ["top", 0], "label": "a"}, {"data": {"name": "b"}, "path": ["top", 2], "label": "a"}], "hasNext": true}),
                json!({"incremental": [{"data": {"y": 1}, "path": ["top", 0, "inner"]}, {"data": {"y": 2}, "path": ["top", 2, "inner"]}], "hasNext": false}),
            ]
        );
    }

    #[test]
    fn the_v02_format_announces_pending_ids_and_completes_them() {
        let mut delivery = Delivery::new(split(), Format::V02);
        let initial = delivery.initial(json!({"data": {"top": {"id": 1, "inner": {"x": 1}}}}));
        assert_eq!(initial["pending"], json!([{"id": "0", "path": ["top"], "label": "a"}]));
        let parent = delivery.arrived(0, json!({"data": {"top": {"name": "a"}}}));
        assert_eq!(
            parent,
            [json!({"incremental": [{"id": "0", "data": {"name": "a"}}], "completed": [{"id": "0"}], "hasNext": true,
                    "pending": [{"id": "1", "path": ["top", "inner"]}]})]
        );
        let child = delivery.arrived(1, json!({"data": null, "errors": [{"message": "down"}]}));
        assert_eq!(
            child,
            [json!({"incremental": [], "completed": [{"id": "1", "errors": [{"message": "down"}]}], "hasNext": false})]
        );
    }
}

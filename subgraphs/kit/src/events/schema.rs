//! The JSON Schemas of `schema/events/`: one file per event type and version, named
//! `<type>.json`, describing the whole envelope.

use std::collections::HashMap;
use std::path::Path;

use super::envelope::Envelope;

/// Compiled event schemas, by event type.
pub struct EventSchemas {
    validators: HashMap<String, jsonschema::Validator>,
}

impl EventSchemas {
    /// Loads every `*.json` in `dir`.
    pub fn load(dir: &Path) -> Result<Self, String> {
        let mut validators = HashMap::new();
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let schema: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            let validator = jsonschema::validator_for(&schema).map_err(|e| format!("{}: {e}", path.display()))?;
            let event_type = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
            validators.insert(event_type, validator);
        }
        Ok(Self { validators })
    }

    /// The event types that have a schema.
    pub fn types(&self) -> Vec<&str> {
        let mut types: Vec<&str> = self.validators.keys().map(String::as_str).collect();
        types.sort_unstable();
        types
    }

    /// Checks `envelope` against the schema of its type; every violation is listed.
    pub fn validate(&self, envelope: &Envelope) -> Result<(), Vec<String>> {
        let Some(validator) = self.validators.get(&envelope.event_type) else {
            return Err(vec![format!("no schema for event type {}", envelope.event_type)]);
        };
        let instance = serde_json::to_value(envelope).expect("envelopes serialize");
        let errors: Vec<String> =
            validator.iter_errors(&instance).map(|e| format!("{}: {e}", e.instance_path())).collect();
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

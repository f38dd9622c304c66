//! The CloudEvents 1.0 envelope every event travels in.

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// A domain event: a payload with a versioned type and an aggregate it belongs to.
pub trait DomainEvent: Serialize + DeserializeOwned {
    /// `service.aggregate.verb.vN`, for example `catalog.product.updated.v1`.
    const TYPE: &'static str;
    /// The aggregate id: the Kafka key, so one aggregate's events stay in order.
    fn subject(&self) -> String;
}

/// CloudEvents attributes plus `traceparent`; the payload under `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub specversion: String,
    pub id: String,
    pub source: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub time: DateTime<Utc>,
    pub subject: String,
    pub datacontenttype: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    pub data: serde_json::Value,
}

impl Envelope {
    /// Wraps `event` with a fresh id, produced by `source` (for example `/braid/catalog`).
    pub fn new<E: DomainEvent>(source: &str, event: &E) -> Self {
        Self {
            specversion: "1.0".into(),
            id: uuid::Uuid::now_v7().to_string(),
            source: source.into(),
            event_type: E::TYPE.into(),
            time: Utc::now().trunc_subsecs(6),
            subject: event.subject(),
            datacontenttype: "application/json".into(),
            traceparent: None,
            data: serde_json::to_value(event).expect("domain events serialize"),
        }
    }

    /// The topic this event goes to: its type without verb and version.
    pub fn topic(&self) -> String {
        topic_of(&self.event_type)
    }

    /// The payload as `E`, if the type matches.
    pub fn decode<E: DomainEvent>(&self) -> Option<Result<E, serde_json::Error>> {
        (self.event_type == E::TYPE).then(|| serde_json::from_value(self.data.clone()))
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("envelopes serialize")
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        let envelope: Self = serde_json::from_slice(bytes)?;
        if envelope.specversion != "1.0" || envelope.id.is_empty() || envelope.event_type.is_empty() {
            return Err(serde::de::Error::custom("not a CloudEvents 1.0 envelope"));
        }
        Ok(envelope)
    }
}

/// `catalog.product.updated.v1` -> `catalog.product`.
pub fn topic_of(event_type: &str) -> String {
    event_type.splitn(3, '.').take(2).collect::<Vec<_>>().join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize)]
    struct Renamed {
        id: String,
    }

    impl DomainEvent for Renamed {
        const TYPE: &'static str = "catalog.product.renamed.v1";
        fn subject(&self) -> String {
            self.id.clone()
        }
    }

    #[test]
    fn envelope_round_trips_and_names_its_topic() {
        let e = Envelope::new("/braid/test", &Renamed { id: "p1".into() });
        assert_eq!(e.topic(), "catalog.product");
        assert_eq!(e.subject, "p1");
        let back = Envelope::from_bytes(&e.to_bytes()).unwrap();
        assert_eq!(back, e);
        assert_eq!(back.decode::<Renamed>().unwrap().unwrap().id, "p1");
        assert!(Envelope::from_bytes(b"{\"not\":\"an event\"}").is_err());
    }

    #[test]
    fn only_cloudevents_1_envelopes_with_an_id_and_a_type_are_read() {
        let e = Envelope::new("/braid/test", &Renamed { id: "p1".into() });
        let broken = [
            Envelope { specversion: "0.3".into(), ..e.clone() },
            Envelope { id: String::new(), ..e.clone() },
            Envelope { event_type: String::new(), ..e.clone() },
        ];
        for b in broken {
            assert!(Envelope::from_bytes(&b.to_bytes()).is_err(), "{b:?}");
        }
        assert_eq!((e.specversion.as_str(), e.source.as_str(), e.traceparent.as_deref()), ("1.0", "/braid/test", None));
    }

    #[test]
    fn decoding_needs_the_type_and_topics_drop_verb_and_version() {
        let other = Envelope {
            event_type: "catalog.product.deleted.v1".into(),
            ..Envelope::new("/s", &Renamed { id: "p".into() })
        };
        assert!(other.decode::<Renamed>().is_none());
        assert_eq!(topic_of("orders.order.placed.v2"), "orders.order");
        assert_eq!(topic_of("orders.order"), "orders.order");
        assert_eq!(topic_of("orders"), "orders");
    }
}

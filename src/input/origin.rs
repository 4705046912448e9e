//! Where a record came from, so that findings, problems and explanations point back to the
//! object (and the record in it) whatever input it was read from.

use std::fmt;
use std::sync::Arc;

/// Where a record came from: the object's display name (a path, or `s3://bucket/key`) and the
/// record's 0-based index in it, so that findings and errors point back.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Origin {
    #[serde(with = "arc_str")]
    pub object: Arc<str>,
    pub record_index: Option<u64>,
}

/// `Arc<str>` as a plain string (serde's own impl needs its `rc` feature, which would rebuild
/// every crate that uses serde).
mod arc_str {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::sync::Arc;

    pub fn serialize<S: Serializer>(s: &Arc<str>, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<str>, D::Error> {
        String::deserialize(d).map(Arc::from)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.record_index {
            Some(i) => write!(f, "{} record {}", self.object, i),
            None => f.write_str(&self.object),
        }
    }
}

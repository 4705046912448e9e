//! A verdict cache: the same principal, action, resource and context under the same policies
//! gets the same answer, so a run over millions of similar denials evaluates each distinct
//! request once. Keyed by the request itself plus the identity of the policies gathered for it
//! (session policies differ per access key), sharded to keep lock contention low across rayon
//! threads.

use crate::policy::{self, AuthzInput, Evaluation, Known, PolicyRef, Request};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

const SHARDS: usize = 16;
/// Entries per shard before the shard is cleared (bounded memory on endless input).
const SHARD_CAP: usize = 8192;

#[derive(Default)]
pub struct VerdictCache {
    shards: [Mutex<HashMap<String, Arc<Evaluation>>>; SHARDS],
}

impl std::fmt::Debug for VerdictCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerdictCache")
    }
}

fn ids(k: &Known<Option<Vec<PolicyRef>>>) -> String {
    match k {
        Known::Known(Some(v)) => v
            .iter()
            .map(|p| format!("{:p}", Arc::as_ptr(p)))
            .collect::<Vec<_>>()
            .join(","),
        Known::Known(None) => "-".to_owned(),
        Known::Unknown(_) => "?".to_owned(),
    }
}

fn key(req: &Request, input: &AuthzInput) -> String {
    // The request is serializable and deterministic (BTreeMap context); the session policies
    // are the only input not derived from the request and the snapshot.
    let mut k = serde_json::to_string(req).unwrap_or_default();
    k.push('|');
    k.push_str(&ids(&input.session));
    if let Known::Known(Some(p)) = &input.vpc_endpoint {
        k.push('|');
        k.push_str(&p.id);
    } else if matches!(input.vpc_endpoint, Known::Known(None)) {
        k.push_str("|novpce");
    }
    k
}

impl VerdictCache {
    /// The engine's answer, computed once per distinct request.
    pub fn authorize(&self, req: &Request, input: &AuthzInput) -> Arc<Evaluation> {
        let k = key(req, input);
        let mut h = std::collections::hash_map::DefaultHasher::new();
        k.hash(&mut h);
        let shard = &self.shards[(h.finish() as usize) % SHARDS];
        if let Some(e) = shard.lock().unwrap_or_else(|e| e.into_inner()).get(&k) {
            return e.clone();
        }
        let e = Arc::new(policy::authorize(req, input));
        let mut m = shard.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() >= SHARD_CAP {
            m.clear();
        }
        m.insert(k, e.clone());
        e
    }
}

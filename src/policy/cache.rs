//! A verdict cache for hot snapshots: the same principal doing the same thing to the same
//! object with the same relevant context gets the same [`Evaluation`], so a run over millions
//! of denials evaluates each distinct situation once.
//!
//! The key covers everything the verdict depends on: the principal (every field), the action (lower-cased),
//! the resource and its account, the identity of every policy in the [`AuthzInput`] (by
//! [`Policy::fingerprint`](super::Policy), a hash of its id and document, plus each layer's
//! known/unknown state and org levels), and the state (values / absent / unknown) of every
//! context key those policies read ([`Policy::keys`](super::Policy)). Keys no policy reads
//! (`aws:CurrentTime` when no condition tests it) do not split the cache.
//!
//! The key is a 128-bit digest of those fields (no allocation on a hit). Shared by all threads
//! (`&VerdictCache` is `Sync`): 16 mutex-guarded shards, each bounded; a full shard is cleared
//! (cheap, and memory stays bounded whatever the input). Usage: build one per snapshot, call
//! [`VerdictCache::authorize`] wherever [`authorize`] would be called.

use super::authorize::{authorize, Evaluation};
use super::types::{AuthzInput, Context, KeyState, Known, OrgLevel, Request};
use super::PolicyRef;
use siphasher::sip128::{Hasher128, SipHasher13};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

const SHARDS: usize = 16;

/// Counters, for reports and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
}

/// A 128-bit digest of everything the verdict depends on (two independently seeded SipHash
/// runs over the same fields): no allocation on a hit, and a collision chance of about 2^-128
/// per pair of situations.
type Key = (u64, u64);

pub struct VerdictCache {
    shards: Vec<Mutex<HashMap<Key, Arc<Evaluation>>>>,
    per_shard: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl VerdictCache {
    /// A cache holding up to about `capacity` evaluations.
    pub fn new(capacity: usize) -> VerdictCache {
        VerdictCache {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            per_shard: capacity.div_ceil(SHARDS).max(1),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// [`authorize`], answered from the cache when this exact situation was seen before.
    pub fn authorize(&self, req: &Request, input: &AuthzInput) -> Arc<Evaluation> {
        let key = cache_key(req, input);
        let shard = &self.shards[(key.0 as usize) % SHARDS];
        // A poisoned shard only means another thread panicked mid-insert; the map is still a
        // valid map, so keep using it.
        if let Some(e) = shard.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Arc::clone(e);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let e = Arc::new(authorize(req, input));
        let mut map = shard.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= self.per_shard {
            map.clear();
        }
        map.insert(key, Arc::clone(&e));
        e
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

/// The key's hasher: SipHash-1-3 with a 128-bit output, one pass over the fields (two 64-bit
/// std hashers fed the same fields cost twice as much: 1.3 % of a diagnosis run's instructions).
struct Digest(SipHasher13);

impl Digest {
    fn str(&mut self, s: &str) {
        s.hash(&mut self.0);
    }
    fn opt(&mut self, s: Option<&str>) {
        s.hash(&mut self.0);
    }
    fn u64(&mut self, x: u64) {
        x.hash(&mut self.0);
    }
    fn policies(&mut self, ps: &[PolicyRef]) {
        self.u64(ps.len() as u64);
        for p in ps {
            self.u64(p.fingerprint);
        }
    }
    fn known<T>(&mut self, k: &Known<T>, f: impl FnOnce(&mut Digest, &T)) {
        match k {
            Known::Unknown(why) => {
                self.u64(0);
                self.str(why);
            }
            Known::Known(v) => {
                self.u64(1);
                f(self, v);
            }
        }
    }
    fn org(&mut self, levels: &Option<Vec<OrgLevel>>) {
        match levels {
            None => self.u64(u64::MAX),
            Some(ls) => {
                self.u64(ls.len() as u64);
                for l in ls {
                    self.str(&l.target_id);
                    self.policies(&l.policies);
                    self.policies(&l.maybe);
                    self.u64(l.unknown.len() as u64);
                    for why in &l.unknown {
                        self.str(why);
                    }
                }
            }
        }
    }
    fn keys_of(&mut self, ps: &[PolicyRef], ctx: &Context) {
        for p in ps {
            for k in &p.keys {
                self.str(k);
                match ctx.get(k) {
                    KeyState::Present(vs) => {
                        self.u64(2 + vs.len() as u64);
                        for v in vs {
                            self.str(v);
                        }
                    }
                    KeyState::Absent => self.u64(0),
                    KeyState::Unknown => self.u64(1),
                    KeyState::NotMatching(ps) => {
                        self.u64(u64::MAX - ps.len() as u64);
                        for p in ps {
                            self.str(p);
                        }
                    }
                }
            }
        }
    }
}

fn opt_slice(p: &Option<PolicyRef>) -> &[PolicyRef] {
    p.as_slice()
}

/// The exact-situation digest of a request under an input (see the module doc).
pub fn cache_key(req: &Request, input: &AuthzInput) -> Key {
    let mut h = Digest(SipHasher13::new());
    h.known(&input.identity, |h, v| h.policies(v));
    h.known(&input.boundary, |h, v| h.policies(opt_slice(v)));
    h.known(&input.session, |h, v| match v {
        None => h.u64(u64::MAX),
        Some(v) => h.policies(v),
    });
    h.known(&input.resource, |h, v| h.policies(opt_slice(v)));
    h.known(&input.vpc_endpoint, |h, v| h.policies(opt_slice(v)));
    h.known(&input.scp, |h, v| h.org(v));
    h.known(&input.rcp, |h, v| h.org(v));
    let p = &req.principal;
    p.kind.hash(&mut h.0);
    h.opt(p.arn.as_deref());
    h.opt(p.account.as_deref());
    h.opt(p.role_arn.as_deref());
    h.opt(p.service.as_deref());
    // The action lower-cased, as IAM compares actions (without an allocation when short).
    let mut lower = [0u8; 64];
    match lower.get_mut(..req.action.len()) {
        Some(buf) => {
            buf.copy_from_slice(req.action.as_bytes());
            buf.make_ascii_lowercase();
            h.0.write(buf);
        }
        None => h.0.write(req.action.to_ascii_lowercase().as_bytes()),
    }
    h.u64(req.action.len() as u64);
    h.str(&req.resource);
    h.opt(req.resource_account.as_deref());
    // The state of every context key the policies read.
    let ctx = &req.context;
    if let Known::Known(v) = &input.identity {
        h.keys_of(v, ctx);
    }
    for k in [&input.boundary, &input.resource, &input.vpc_endpoint] {
        if let Known::Known(v) = k {
            h.keys_of(opt_slice(v), ctx);
        }
    }
    if let Known::Known(Some(v)) = &input.session {
        h.keys_of(v, ctx);
    }
    for k in [&input.scp, &input.rcp] {
        if let Known::Known(Some(ls)) = k {
            for l in ls {
                h.keys_of(&l.policies, ctx);
                h.keys_of(&l.maybe, ctx);
            }
        }
    }
    // The access point: which one, its resource form, its policy and its network verdict.
    match &input.access_point {
        None => h.u64(0),
        Some(ap) => {
            h.u64(1);
            h.str(&ap.arn);
            h.str(&ap.resource);
            h.opt(ap.account.as_deref());
            h.known(&ap.policy, |h, v| h.policies(opt_slice(v)));
            h.known(&ap.network, |h, v| h.opt(v.as_deref()));
            if let Known::Known(v) = &ap.policy {
                h.keys_of(opt_slice(v), ctx);
            }
        }
    }
    let digest = h.0.finish128();
    (digest.h1, digest.h2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::tests::fixtures::*;
    use crate::policy::Decision;

    #[test]
    fn same_situation_hits_and_relevant_context_splits() {
        let mut i = input();
        i.identity = Known::Known(vec![pol(
            "p",
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}"#,
        )]);
        let c = VerdictCache::new(100);
        let mut r = req(user(A, "alice"), "s3:GetObject", OBJECT);
        assert_eq!(c.authorize(&r, &i).decision, Decision::Allow);
        // A key no policy reads does not split the cache.
        r.context.set("aws:CurrentTime", "2026-11-23T00:00:00Z");
        assert_eq!(c.authorize(&r, &i).decision, Decision::Allow);
        assert_eq!(c.stats(), CacheStats { hits: 1, misses: 1 });
        // A key a policy reads does.
        r.context.set("aws:SourceIp", "198.51.100.1");
        assert_eq!(c.authorize(&r, &i).decision, Decision::ImplicitDeny);
        assert_eq!(c.stats().misses, 2);
        // So does a different policy set.
        i.identity = Known::Known(vec![allow_all("admin")]);
        assert_eq!(c.authorize(&r, &i).decision, Decision::Allow);
        assert_eq!(c.stats().misses, 3);
    }

    #[test]
    fn cached_answer_equals_a_fresh_one() {
        let i = input();
        let r = req(user(A, "alice"), "s3:GetObject", OBJECT);
        let c = VerdictCache::new(1);
        let a = c.authorize(&r, &i);
        let b = c.authorize(&r, &i);
        assert_eq!(*a, authorize(&r, &i));
        assert!(Arc::ptr_eq(&a, &b));
    }
}

//! One OCSF row of a Security Lake CloudTrail source → the CloudTrail record it was made from,
//! so that the scan, the evidence and the diagnosis read it exactly as they read the JSON.
//!
//! The mapping is the one OCSF publishes for CloudTrail, read backwards, in the two versions
//! Security Lake writes. AWS names them: "The OCSF source identification for AWS log sources
//! (Version 1)": CloudTrail management events are "API Activity, Authentication, Account
//! Change" with `metadata.version` "1.0.0-rc.2"; version 2 sources carry 1.1.0
//! (<https://docs.aws.amazon.com/security-lake/latest/userguide/open-cybersecurity-schema-framework.html>).
//! The field tables (`ocsf/examples`, `mappings/markdown/AWS/v1.0.0-rc.2/CloudTrail/API
//! Activity/README.md` and `.../v1.1.0/...`, `.../v1.5.0/...`):
//!
//! | CloudTrail | OCSF 1.0.0-rc.2 | OCSF 1.1.0+ |
//! |---|---|---|
//! | `userIdentity.accountId` | `actor.user.account_uid` | `actor.user.account.uid` |
//! | `userIdentity.principalId` | `actor.user.uid` | `actor.user.uid_alt` |
//! | `userIdentity.arn` | `actor.user.uuid` | `actor.user.uid` |
//! | `userIdentity.type`, `.accessKeyId`, `.userName`, `.invokedBy` | `actor.user.type`, `actor.user.credential_uid`, `actor.user.name`, `actor.invoked_by` | same |
//! | `sessionContext.attributes.creationDate`, `.mfaAuthenticated` | `actor.session.created_time`, `actor.session.mfa` | `actor.session.created_time_dt`, `actor.session.is_mfa` |
//! | `sessionContext.sessionIssuer.arn` | `actor.session.issuer` | same |
//! | `eventSource`, `eventName`, `apiVersion`, `requestID` | `api.service.name`, `api.operation`, `api.version`, `api.request.uid` | same |
//! | `errorCode`, `errorMessage` | `api.response.error`, `api.response.message` | same |
//! | `requestParameters`, `responseElements` | (unmapped) | `api.request.data`, `api.response.data` |
//! | `awsRegion`, `userAgent`, `vpcEndpointId` | `cloud.region`, `http_request.user_agent`, `src_endpoint.uid` | same |
//! | `sourceIPAddress` | `src_endpoint.ip` or `src_endpoint.domain` | same |
//! | `eventVersion`, `eventID`, `eventTime` | `metadata.product.version`, `metadata.uid`, `time` | same (+ `time_dt`) |
//! | `eventType` | (unmapped) | `metadata.event_code` |
//! | `eventCategory` | `metadata.product.feature.name` | same |
//! | `recipientAccountId` | (unmapped) | (unmapped) in 1.1.0, `cloud.account.uid` in 1.5.0 |
//! | `resources[].ARN`, `.accountId`, `.type` | `resources[].uid`, `.account_uid`, `.type` | `resources[].uid`, `.owner.account.uid`, `.type` |
//!
//! The Authentication (3002) and Account Change (3001) tables of the same pages map `actor`,
//! `api`, `src_endpoint`, `cloud`, `metadata` and `time` the same way, so every class of a
//! CloudTrail source is read with this one table (their extra `user` object, the target of
//! the call, comes from `requestParameters`/`responseElements`, which are read as they are).
//!
//! "Any fields not present in an explicit mapping will be mapped to the unmapped object"
//! (same pages): `unmapped` entries are read back as CloudTrail paths, a top-level name
//! (`additionalEventData`, `tlsDetails`, ...) or a dotted one
//! (`userIdentity.sessionContext.sessionIssuer.type`), their values as the JSON text of an
//! object or array, or a plain string. A mapped field always wins over an `unmapped` one.
//!
//! What OCSF does not carry stays absent, as in a CloudTrail record that lacks it: the
//! diagnosis then says `unknown` where that piece could change the verdict (for example the
//! session issuer's type and account when `unmapped` does not hold them).

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Map, Value};

/// The two generations of the mapping, told apart by `metadata.version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `1.0.0-rc.2` (Security Lake source version 1).
    Rc2,
    /// `1.1.0` and later (source version 2 and on).
    V1_1,
}

impl Version {
    pub fn of(row: &Value) -> Version {
        match str_at(row, "metadata.version") {
            Some(v) if v.starts_with("1.0.0-rc") || v.starts_with("1.0.0_rc") => Version::Rc2,
            Some(_) => Version::V1_1,
            // No version: the rc.2 shape is recognisable by its user `uuid`.
            None if get(row, "actor.user.uuid").is_some() => Version::Rc2,
            None => Version::V1_1,
        }
    }
}

/// What one row turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    /// A CloudTrail event, rebuilt as its CloudTrail record.
    Record(Value),
    /// A row of another product (a lake folder holding VPC flow logs, findings, ...): not an
    /// S3 call, skipped on purpose.
    Other,
    /// A CloudTrail row that lacks what every record needs (the API name, the time).
    Unusable(String),
}

/// The class ids of the OCSF classes Security Lake maps CloudTrail to, in both versions:
/// Account Change 3001, Authentication 3002, API Activity 3005 (rc.2) and 6003 (1.1+).
pub const CLOUDTRAIL_CLASSES: [i64; 4] = [3001, 3002, 3005, 6003];

/// Rebuilds the CloudTrail record of one OCSF row.
pub fn to_cloudtrail(row: &Value) -> Row {
    if !row.is_object() {
        return Row::Unusable("not an OCSF event (not a row of fields)".into());
    }
    let product = str_at(row, "metadata.product.name");
    let class = get(row, "class_uid").and_then(Value::as_i64);
    let from_cloudtrail = match product {
        Some(p) => p == "CloudTrail",
        None => class.is_some_and(|c| CLOUDTRAIL_CLASSES.contains(&c)),
    };
    if !from_cloudtrail {
        return Row::Other;
    }
    let version = Version::of(row);
    let mut r = Map::new();
    let put = |r: &mut Map<String, Value>, key: &str, v: Option<Value>| {
        if let Some(v) = v.filter(|v| !v.is_null()) {
            r.insert(key.to_owned(), v);
        }
    };
    put(
        &mut r,
        "eventVersion",
        string_at(row, "metadata.product.version"),
    );
    if let Some(identity) = user_identity(row, version) {
        r.insert("userIdentity".into(), identity);
    }
    match event_time(row) {
        Some(t) => put(&mut r, "eventTime", Some(Value::String(t))),
        None => return Row::Unusable("no event time (`time`, `time_dt`)".into()),
    }
    put(&mut r, "eventSource", string_at(row, "api.service.name"));
    match string_at(row, "api.operation") {
        Some(op) => put(&mut r, "eventName", Some(op)),
        None => return Row::Unusable("no API name (`api.operation`)".into()),
    }
    put(&mut r, "awsRegion", string_at(row, "cloud.region"));
    let ip = string_at(row, "src_endpoint.ip").or_else(|| string_at(row, "src_endpoint.domain"));
    put(&mut r, "sourceIPAddress", ip);
    put(
        &mut r,
        "userAgent",
        string_at(row, "http_request.user_agent"),
    );
    put(&mut r, "errorCode", string_at(row, "api.response.error"));
    put(
        &mut r,
        "errorMessage",
        string_at(row, "api.response.message"),
    );
    put(
        &mut r,
        "requestParameters",
        json_at(row, "api.request.data"),
    );
    put(
        &mut r,
        "responseElements",
        json_at(row, "api.response.data"),
    );
    put(&mut r, "requestID", string_at(row, "api.request.uid"));
    put(&mut r, "eventID", string_at(row, "metadata.uid"));
    put(&mut r, "eventType", string_at(row, "metadata.event_code"));
    // `eventCategory` → `metadata.product.feature.name` (the tables' conditional mapping);
    // Security Lake also writes "Management, Data, and Insights" there, which is no category.
    let category = string_at(row, "metadata.product.feature.name").filter(|c| {
        matches!(
            c.as_str(),
            Some("Management" | "Data" | "Insight" | "NetworkActivity")
        )
    });
    put(&mut r, "eventCategory", category);
    put(&mut r, "apiVersion", string_at(row, "api.version"));
    put(
        &mut r,
        "recipientAccountId",
        string_at(row, "cloud.account.uid"),
    );
    let endpoint = string_at(row, "src_endpoint.uid").or_else(|| {
        // Some writers put the endpoint in `svc_name`; only a `vpce-` id is one.
        string_at(row, "src_endpoint.svc_name")
            .filter(|v| v.as_str().is_some_and(|s| s.starts_with("vpce-")))
    });
    put(&mut r, "vpcEndpointId", endpoint);
    if let Some(resources) = resources(row, version) {
        r.insert("resources".into(), resources);
    }
    let mut record = Value::Object(r);
    if let Some(unmapped) = get(row, "unmapped") {
        for (path, value) in unmapped_entries(unmapped) {
            fill(&mut record, &path, value);
        }
    }
    Row::Record(record)
}

/// `userIdentity`, from `actor`: `None` when the row names no actor at all.
fn user_identity(row: &Value, version: Version) -> Option<Value> {
    let (account, principal, arn) = match version {
        Version::Rc2 => (
            "actor.user.account_uid",
            "actor.user.uid",
            "actor.user.uuid",
        ),
        Version::V1_1 => (
            "actor.user.account.uid",
            "actor.user.uid_alt",
            "actor.user.uid",
        ),
    };
    let mut u = Map::new();
    for (key, path) in [
        ("type", "actor.user.type"),
        ("principalId", principal),
        ("arn", arn),
        ("accountId", account),
        ("accessKeyId", "actor.user.credential_uid"),
        ("userName", "actor.user.name"),
        ("invokedBy", "actor.invoked_by"),
    ] {
        if let Some(v) = string_at(row, path) {
            u.insert(key.into(), v);
        }
    }
    // 1.1's rename of the account id is not always followed: accept the other spelling.
    if !u.contains_key("accountId") {
        if let Some(v) = string_at(row, "actor.user.account_uid")
            .or_else(|| string_at(row, "actor.user.account.uid"))
        {
            u.insert("accountId".into(), v);
        }
    }
    let mut attributes = Map::new();
    let created = match version {
        Version::Rc2 => [
            "actor.session.created_time",
            "actor.session.created_time_dt",
        ],
        Version::V1_1 => [
            "actor.session.created_time_dt",
            "actor.session.created_time",
        ],
    };
    if let Some(t) = created.iter().find_map(|p| get(row, p).and_then(time_text)) {
        attributes.insert("creationDate".into(), Value::String(t));
    }
    let mfa = match version {
        Version::Rc2 => ["actor.session.mfa", "actor.session.is_mfa"],
        Version::V1_1 => ["actor.session.is_mfa", "actor.session.mfa"],
    };
    if let Some(m) = mfa.iter().find_map(|p| get(row, p).and_then(flag_text)) {
        attributes.insert("mfaAuthenticated".into(), Value::String(m));
    }
    let issuer = string_at(row, "actor.session.issuer");
    if !attributes.is_empty() || issuer.is_some() {
        let mut session = Map::new();
        if let Some(arn) = issuer {
            let mut i = Map::new();
            i.insert("arn".into(), arn);
            session.insert("sessionIssuer".into(), Value::Object(i));
        }
        if !attributes.is_empty() {
            session.insert("attributes".into(), Value::Object(attributes));
        }
        u.insert("sessionContext".into(), Value::Object(session));
    }
    (!u.is_empty()).then_some(Value::Object(u))
}

/// `resources[]`, `None` when the row has none.
fn resources(row: &Value, version: Version) -> Option<Value> {
    let list = get(row, "resources")?.as_array()?;
    let account_paths: [&str; 3] = match version {
        Version::Rc2 => ["account_uid", "owner.account.uid", "account.uid"],
        Version::V1_1 => ["owner.account.uid", "account_uid", "account.uid"],
    };
    let out: Vec<Value> = list
        .iter()
        .filter(|r| r.is_object())
        .map(|r| {
            let mut m = Map::new();
            if let Some(v) = string_at(r, "uid") {
                m.insert("ARN".into(), v);
            }
            if let Some(v) = account_paths.iter().find_map(|p| string_at(r, p)) {
                m.insert("accountId".into(), v);
            }
            if let Some(v) = string_at(r, "type") {
                m.insert("type".into(), v);
            }
            Value::Object(m)
        })
        .collect();
    Some(Value::Array(out))
}

/// CloudTrail's `eventTime` (`2026-11-19T08:40:12Z`) from `time` (epoch milliseconds) or,
/// without it, `time_dt`.
fn event_time(row: &Value) -> Option<String> {
    get(row, "time")
        .and_then(time_text)
        .or_else(|| get(row, "time_dt").and_then(time_text))
}

/// A timestamp as CloudTrail writes one: epoch milliseconds (a number or its text) or a
/// date-time string (RFC 3339, or without an offset: UTC), to the second unless it has a
/// fraction.
fn time_text(v: &Value) -> Option<String> {
    let t: DateTime<Utc> = match v {
        Value::Number(n) => DateTime::from_timestamp_millis(n.as_i64()?)?,
        Value::String(s) => {
            if let Ok(ms) = s.parse::<i64>() {
                DateTime::from_timestamp_millis(ms)?
            } else if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                t.with_timezone(&Utc)
            } else {
                let naive = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
                    .iter()
                    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())?;
                naive.and_utc()
            }
        }
        _ => return None,
    };
    Some(if t.timestamp_subsec_millis() == 0 {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    })
}

/// A boolean as CloudTrail's `"true"`/`"false"` text.
fn flag_text(v: &Value) -> Option<String> {
    match v {
        Value::Bool(b) => Some(b.to_string()),
        Value::String(s) if s == "true" || s == "false" => Some(s.clone()),
        _ => None,
    }
}

/// The value at a dotted path of nested objects.
pub fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut at = v;
    for k in path.split('.') {
        at = at.as_object()?.get(k)?;
    }
    (!at.is_null()).then_some(at)
}

fn str_at<'a>(v: &'a Value, path: &str) -> Option<&'a str> {
    get(v, path)?.as_str()
}

/// A scalar field as a JSON string (numbers as their text: OCSF ids are strings in CloudTrail).
fn string_at(v: &Value, path: &str) -> Option<Value> {
    match get(v, path)? {
        Value::String(s) => Some(Value::String(s.clone())),
        Value::Number(n) => Some(Value::String(n.to_string())),
        Value::Bool(b) => Some(Value::String(b.to_string())),
        _ => None,
    }
}

/// A free-form JSON field (`api.request.data`): the JSON text OCSF stores, or an object
/// already nested.
fn json_at(v: &Value, path: &str) -> Option<Value> {
    match get(v, path)? {
        Value::String(s) => Some(parse_text(s)),
        other => Some(other.clone()),
    }
}

/// An `unmapped` value: the JSON text of an object or array (or `true`/`false`) is parsed,
/// anything else is the string itself.
fn parse_text(s: &str) -> Value {
    let t = s.trim_start();
    if t.starts_with('{') || t.starts_with('[') || s == "true" || s == "false" || s == "null" {
        if let Ok(v) = serde_json::from_str(s) {
            return v;
        }
    }
    Value::String(s.to_owned())
}

/// `unmapped` as (path, value) pairs, whatever shape the Parquet reader gave the map: an
/// object, a list of `{key, value}` entries (a Parquet MAP read as a list), or its JSON text.
fn unmapped_entries(v: &Value) -> Vec<(String, Value)> {
    match v {
        Value::Object(m) => m
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), unmapped_value(v)))
            .collect(),
        Value::Array(entries) => entries
            .iter()
            .filter_map(|e| {
                let k = e.get("key")?.as_str()?;
                let v = e.get("value").filter(|v| !v.is_null())?;
                Some((k.to_owned(), unmapped_value(v)))
            })
            .collect(),
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(inner @ (Value::Object(_) | Value::Array(_))) => unmapped_entries(&inner),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn unmapped_value(v: &Value) -> Value {
    match v {
        Value::String(s) => parse_text(s),
        other => other.clone(),
    }
}

/// Sets `path` (dotted) in `record` unless something is already there (mapped fields win).
fn fill(record: &mut Value, path: &str, value: Value) {
    let mut at = record;
    let mut parts = path.split('.').peekable();
    while let Some(k) = parts.next() {
        let Some(obj) = at.as_object_mut() else {
            return;
        };
        if parts.peek().is_none() {
            obj.entry(k.to_owned()).or_insert(value);
            return;
        }
        at = obj
            .entry(k.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The v1.1.0 sample of `ocsf/examples` (API Activity) reads back as its raw record.
    #[test]
    fn the_published_1_1_sample_reads_back() {
        let row = json!({
            "actor": {"user": {"account": {"uid": "111111111111"}, "credential_uid": "AKIA3Z2XBVEXAMPLE",
                "name": "Level6", "type": "IAMUser", "uid": "arn:aws:iam::111111111111:user/Level6",
                "uid_alt": "AIDADO2GQEXAMPLE"}},
            "api": {"operation": "DescribeDirectConnectGateways", "request": {"uid": "1c8a6220"},
                "response": {"data": "{\"directConnectGateways\":[]}"},
                "service": {"name": "directconnect.amazonaws.com"}},
            "class_uid": 6003,
            "cloud": {"provider": "AWS", "region": "us-east-1"},
            "http_request": {"user_agent": "Boto3/1.15.2"},
            "metadata": {"event_code": "AwsApiCall", "product": {"name": "CloudTrail", "vendor_name": "AWS", "version": "1.05",
                "feature": {"name": "Management, Data, and Insights"}},
                "uid": "71c88be9-ea5c-43c7-8c82-example", "version": "1.1.0"},
            "src_endpoint": {"ip": "205.8.181.128"},
            "time": 1695334972000i64,
            "unmapped": {"recipientAccountId": "111111111111"}
        });
        let Row::Record(r) = to_cloudtrail(&row) else {
            panic!("not a record")
        };
        assert_eq!(r["eventTime"], "2023-09-21T22:22:52Z");
        assert_eq!(r["eventName"], "DescribeDirectConnectGateways");
        assert_eq!(
            r["userIdentity"]["arn"],
            "arn:aws:iam::111111111111:user/Level6"
        );
        assert_eq!(r["userIdentity"]["principalId"], "AIDADO2GQEXAMPLE");
        assert_eq!(r["userIdentity"]["accountId"], "111111111111");
        assert_eq!(r["recipientAccountId"], "111111111111");
        assert_eq!(r["responseElements"], json!({"directConnectGateways": []}));
        assert_eq!(r["eventType"], "AwsApiCall");
        assert_eq!(r["sourceIPAddress"], "205.8.181.128");
        assert!(r.get("eventCategory").is_none(), "not a category: {r}");
    }

    /// The rc.2 sample: `uid` is the principal id and `uuid` the ARN there.
    #[test]
    fn the_published_rc2_sample_reads_back() {
        let row = json!({
            "actor": {"user": {"account_uid": "811596193553", "type": "IAMUser",
                "uid": "AIDADO2GQD0K8TEF7KW1V", "uuid": "arn:aws:iam::811596193553:user/Level6"},
                "session": {"issuer": "arn:aws:iam::811596193553:role/R", "mfa": false,
                    "created_time": 1600726000000i64}},
            "api": {"operation": "GetObject", "service": {"name": "s3.amazonaws.com"},
                "response": {"error": "AccessDenied", "message": "Access Denied"}},
            "class_uid": 3005,
            "metadata": {"product": {"name": "CloudTrail", "version": "1.08", "feature": {"name": "Data"}},
                "uid": "e1", "version": "1.0.0-rc.2"},
            "src_endpoint": {"domain": "AWS Internal"},
            "resources": [{"uid": "arn:aws:s3:::b/k", "account_uid": "811596193553", "type": "AWS::S3::Object"}],
            "time": 1600726972000i64,
            "unmapped": [{"key": "requestParameters", "value": "{\"bucketName\":\"b\",\"key\":\"k\"}"},
                {"key": "userIdentity.sessionContext.sessionIssuer.type", "value": "Role"},
                {"key": "userIdentity.arn", "value": "must not win"}]
        });
        assert_eq!(Version::of(&row), Version::Rc2);
        let Row::Record(r) = to_cloudtrail(&row) else {
            panic!("not a record")
        };
        let u = &r["userIdentity"];
        assert_eq!(u["principalId"], "AIDADO2GQD0K8TEF7KW1V");
        assert_eq!(u["arn"], "arn:aws:iam::811596193553:user/Level6");
        assert_eq!(u["sessionContext"]["sessionIssuer"]["type"], "Role");
        assert_eq!(
            u["sessionContext"]["sessionIssuer"]["arn"],
            "arn:aws:iam::811596193553:role/R"
        );
        assert_eq!(
            u["sessionContext"]["attributes"]["mfaAuthenticated"],
            "false"
        );
        assert_eq!(
            u["sessionContext"]["attributes"]["creationDate"],
            "2020-09-21T22:06:40Z"
        );
        assert_eq!(r["requestParameters"]["bucketName"], "b");
        assert_eq!(r["errorCode"], "AccessDenied");
        assert_eq!(r["sourceIPAddress"], "AWS Internal");
        assert_eq!(r["resources"][0]["accountId"], "811596193553");
        assert_eq!(r["eventCategory"], "Data");
    }

    #[test]
    fn other_products_and_unusable_rows_are_told_apart() {
        let flow = json!({"class_uid": 4001, "metadata": {"product": {"name": "Amazon VPC"}}});
        assert_eq!(to_cloudtrail(&flow), Row::Other);
        let no_op =
            json!({"class_uid": 6003, "time": 1, "metadata": {"product": {"name": "CloudTrail"}}});
        assert!(matches!(to_cloudtrail(&no_op), Row::Unusable(m) if m.contains("api.operation")));
    }
}

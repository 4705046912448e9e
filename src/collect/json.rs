//! Building the AWS CLI's JSON from SDK types: PascalCase field names as in the API model,
//! absent members left out (as the CLI prints them), timestamps in RFC 3339, IAM policy
//! documents decoded to JSON objects (the CLI URL-decodes them too).

use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use serde_json::{Map, Value};

/// A JSON object under construction; `None` values are left out.
#[derive(Default)]
pub struct Obj(Map<String, Value>);

impl Obj {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn s(mut self, key: &str, v: Option<&str>) -> Self {
        if let Some(v) = v {
            self.0.insert(key.to_owned(), Value::String(v.to_owned()));
        }
        self
    }

    pub fn b(mut self, key: &str, v: Option<bool>) -> Self {
        if let Some(v) = v {
            self.0.insert(key.to_owned(), Value::Bool(v));
        }
        self
    }

    pub fn n(mut self, key: &str, v: Option<i64>) -> Self {
        if let Some(v) = v {
            self.0.insert(key.to_owned(), Value::from(v));
        }
        self
    }

    pub fn t(mut self, key: &str, v: Option<&DateTime>) -> Self {
        if let Some(v) = v.and_then(|d| d.fmt(Format::DateTime).ok()) {
            self.0.insert(key.to_owned(), Value::String(v));
        }
        self
    }

    pub fn v(mut self, key: &str, v: Option<Value>) -> Self {
        if let Some(v) = v {
            self.0.insert(key.to_owned(), v);
        }
        self
    }

    /// A list member: always written (the CLI prints `[]` for an empty list in these calls).
    pub fn list<T>(mut self, key: &str, items: &[T], f: impl Fn(&T) -> Value) -> Self {
        self.0
            .insert(key.to_owned(), Value::Array(items.iter().map(f).collect()));
        self
    }

    pub fn strings(self, key: &str, items: &[String]) -> Self {
        self.list(key, items, |s| Value::String(s.clone()))
    }

    pub fn done(self) -> Value {
        Value::Object(self.0)
    }
}

/// An IAM policy document as the CLI prints it: the API returns it URL-encoded (RFC 3986);
/// decoded and parsed it becomes a JSON object. Text that is neither is kept as the string it
/// was, so nothing is lost and the loader can report it.
pub fn policy_document(raw: &str) -> Value {
    if let Ok(v) = serde_json::from_str::<Value>(raw) {
        if v.is_object() {
            return v;
        }
    }
    if let Ok(decoded) = percent_encoding::percent_decode_str(raw).decode_utf8() {
        if let Ok(v) = serde_json::from_str::<Value>(&decoded) {
            if v.is_object() {
                return v;
            }
        }
    }
    Value::String(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoded_policy_documents_become_objects_like_the_cli_prints_them() {
        let raw = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(
            policy_document(raw),
            serde_json::json!({"Version": "2012-10-17", "Statement": []})
        );
        assert_eq!(
            policy_document(r#"{"Statement":[]}"#),
            serde_json::json!({"Statement": []})
        );
        assert_eq!(
            policy_document("%zz not json"),
            Value::String("%zz not json".into())
        );
    }

    #[test]
    fn absent_members_are_left_out_and_times_are_rfc3339() {
        let v = Obj::new()
            .s("A", Some("x"))
            .s("B", None)
            .t("T", Some(&DateTime::from_secs(0)))
            .done();
        assert_eq!(
            v,
            serde_json::json!({"A": "x", "T": "1970-01-01T00:00:00Z"})
        );
    }
}

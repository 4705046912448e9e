//! An access control list as `get-bucket-acl` and `get-object-acl` write it (one shape for
//! both: `Owner` and `Grants`), read into [`Acl`] for the bucket (`s3.rs`) and for each captured
//! object (`object_acls.rs`).

use super::doc;
use super::files::{str_field, with_object, Problems};
use super::model::{Acl, AclGrant, Grantee};
use crate::policy::Known;
use serde_json::Value;
use std::path::Path;

/// The ACL in `path`; unknown (and a problem noted) when the file is absent or not an ACL.
pub(super) fn acl(path: &Path, problems: &mut Problems) -> Known<Acl> {
    with_object(path, problems, |v, _| {
        let grants = match v.get("Grants") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(g)) => g.iter().filter_map(grant).collect(),
            Some(other) => return Err(format!("`Grants` is {}", doc::kind(other))),
        };
        Ok(Acl {
            owner_id: v
                .get("Owner")
                .and_then(|o| str_field(o, "ID"))
                .map(str::to_owned),
            grants,
        })
    })
}

fn grant(g: &Value) -> Option<AclGrant> {
    let permission = str_field(g, "Permission")?.to_owned();
    let ge = g.get("Grantee")?;
    let grantee = match str_field(ge, "Type") {
        Some("CanonicalUser") => Grantee::CanonicalUser(str_field(ge, "ID")?.to_owned()),
        Some("Group") => Grantee::Group(str_field(ge, "URI")?.to_owned()),
        Some("AmazonCustomerByEmail") => Grantee::Email(str_field(ge, "EmailAddress")?.to_owned()),
        other => Grantee::Other(other.unwrap_or("").to_owned()),
    };
    Some(AclGrant {
        grantee,
        permission,
    })
}

//! Diagnosis: one denied S3 event in, one [`Finding`] out (a function transform: any order,
//! any thread). Reads the record, the snapshot and the side evidence the scan kept; never does
//! I/O.

pub mod actions;
pub mod aws_message;
pub mod block_public_access;
pub mod decide;
pub mod diagnoser;
pub mod kms;
pub mod object_not_found;
pub mod object_ownership;
pub mod remediation;
pub mod request;
pub mod request_error;
pub mod requester_pays;
pub mod rule;
pub mod text;
pub mod trace;

use crate::findings::{Finding, RootCause};
use crate::input::Origin;
use crate::record::Event;

pub use request_error::NON_PERMISSION_CODES;

/// The fields of a finding that come from the record alone; the verdict fields are left for
/// the engine (`root_cause` is `unknown` until then, `request_error` for non-permission codes).
///
/// Placeholder until the diagnosis lands: the policy verdict is not computed yet.
pub fn finding_from_record(event: &Event, origin: &Origin) -> Finding {
    let params = |k: &str| event.request_param(k).map(str::to_owned);
    let bucket = params("bucketName");
    let key = params("key");
    let resource_arn = bucket.as_ref().map(|b| match &key {
        Some(k) => format!("arn:aws:s3:::{b}/{k}"),
        None => format!("arn:aws:s3:::{b}"),
    });
    let ident = event.user_identity.as_ref();
    let root_cause = if request_error::is_request_error(event.error_code.as_deref()) {
        RootCause::RequestError
    } else {
        RootCause::Unknown
    };
    Finding {
        event_id: event.id().to_owned(),
        event_time: event.event_time.clone(),
        event_name: event.event_name.clone(),
        action: None,
        principal_arn: ident.and_then(|i| i.arn.clone()),
        principal_account: ident.and_then(|i| i.account_id.clone()),
        resource_account: event.recipient_account_id.clone(),
        bucket,
        key,
        resource_arn,
        source_ip: event.source_ip_address.clone(),
        vpc_endpoint_id: event.vpc_endpoint_id.clone(),
        user_agent: event.user_agent.clone(),
        error_code: event.error_code.clone(),
        error_message: event.error_message.clone(),
        root_cause,
        source_object: Some(origin.object.to_string()),
        record_index: origin.record_index,
        ..Finding::default()
    }
}

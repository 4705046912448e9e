//! Diagnosis: one denied S3 event in, one [`Finding`] out (a function transform: any order,
//! any thread). Reads the record, the snapshot and the side evidence the scan kept; never does
//! I/O.

pub mod access_point_bpa;
pub mod access_point_fix;
pub mod actions;
pub mod analysis;
pub mod aws_message;
pub mod block_public_access;
pub mod blocked_encryption;
pub mod bpa_rule;
pub mod cause;
pub mod decide;
pub mod diagnoser;
pub mod finding;
pub mod fix_input;
pub mod kms;
pub mod object_acl_bpa;
pub mod object_lock;
pub mod object_not_found;
pub mod object_ownership;
pub mod principal_facts;
pub mod remediation;
pub mod request;
pub mod request_error;
pub mod requester_pays;
pub mod rule;
pub mod rules;
pub mod session_chain;
pub mod session_facts;
pub mod text;
pub mod timed;
pub mod trace;

use crate::findings::Finding;
use crate::input::Origin;
use crate::record::Event;

pub use request_error::NON_PERMISSION_CODES;

/// The fields of a finding that come from the record alone ([`finding::from_record`]); the
/// verdict fields are left for the diagnosis.
pub fn finding_from_record(event: &Event, origin: &Origin) -> Finding {
    finding::from_record(event, origin, &request::S3Call::from_event(event))
}

//! JSONB columns.

/// The content of a JSONB column that holds an object (`settings`, `custom_fields`,
/// `device_info`, `dimensions`, audit `old_values`/`new_values`, ...).
///
/// The type makes "a JSON object" part of the signature: arrays, strings or numbers
/// at the top level are refused when deserializing.
pub type JsonObject = serde_json::Map<String, serde_json::Value>;

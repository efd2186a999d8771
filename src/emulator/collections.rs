//! The emulator's collections: the schemas it knows, by database and name,
//! and the `data` of a REST v2 `collections/describe` reply for each, in the Milvus 2.5/2.6
//! shape of collections-describe.md §3–§4.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::writer::{CollectionSchema, DataType, FieldSchema};

/// A collection the emulator knows.
struct Collection {
    id: i64,
    schema: CollectionSchema,
}

/// Every collection, keyed by (database, name).
pub(crate) struct Collections {
    by_name: BTreeMap<(String, String), Collection>,
    next_id: i64,
}

impl Collections {
    pub(crate) fn new() -> Self {
        Collections {
            by_name: BTreeMap::new(),
            // Collection ids are int64s above 2^53 on real servers; so are these.
            next_id: 457_295_835_212_750_301,
        }
    }

    /// Adds `name` to database `db`, or replaces its schema (keeping its id).
    pub(crate) fn insert(&mut self, db: &str, name: &str, schema: CollectionSchema) {
        let key = (db.to_string(), name.to_string());
        if let Some(existing) = self.by_name.get_mut(&key) {
            existing.schema = schema;
            return;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.by_name.insert(key, Collection { id, schema });
    }

    /// The schema of `name` in database `db`.
    pub(crate) fn get(&self, db: &str, name: &str) -> Option<&CollectionSchema> {
        self.by_name
            .get(&(db.to_string(), name.to_string()))
            .map(|c| &c.schema)
    }

    /// The `data` of a describe reply for `name` in `db`.
    pub(crate) fn describe(&self, db: &str, name: &str) -> Option<Value> {
        let collection = self.by_name.get(&(db.to_string(), name.to_string()))?;
        let schema = &collection.schema;
        let fields: Vec<Value> = schema
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| field(f, 100 + i as i64))
            .collect();
        let auto_id = schema.primary_field().is_some_and(|pk| pk.auto_id);
        Some(json!({
            "aliases": [],
            "autoId": auto_id,
            "collectionID": collection.id,
            "collectionName": name,
            "consistencyLevel": "Bounded",
            "description": "",
            "enableDynamicField": schema.enable_dynamic_field,
            "fields": fields,
            "functions": [],
            "indexes": [],
            "load": "LoadStateNotLoad",
            "partitionsNum": 1,
            "properties": [],
            "shardsNum": 1,
        }))
    }
}

/// One `fields[]` entry, as `printFieldDetail` writes it.
fn field(f: &FieldSchema, id: i64) -> Value {
    let mut out = Map::new();
    out.insert("autoId".into(), json!(f.auto_id));
    out.insert("clusteringKey".into(), json!(false));
    out.insert("description".into(), json!(""));
    out.insert("id".into(), json!(id));
    out.insert("name".into(), json!(f.name));
    out.insert("nullable".into(), json!(f.nullable));
    out.insert("partitionKey".into(), json!(false));
    out.insert("primaryKey".into(), json!(f.primary_key));
    out.insert("type".into(), json!(f.data_type.name()));
    if f.function_output {
        out.insert("isFunctionOutput".into(), json!(true));
    }
    if f.data_type == DataType::Array {
        if let Some(element) = f.element_type {
            out.insert("elementType".into(), json!(element.name()));
        }
    }
    // Type params, values as strings (KeyValuePair), as the server stores them.
    let mut params = Vec::new();
    let mut param = |key: &str, value: Option<u32>| {
        if let Some(v) = value {
            params.push(json!({"key": key, "value": v.to_string()}));
        }
    };
    match f.data_type {
        DataType::SparseFloatVector => {}
        t if t.is_vector() => param("dim", f.dim),
        DataType::VarChar => param("max_length", f.max_length),
        DataType::Array => {
            param("max_capacity", f.max_capacity);
            if f.element_type == Some(DataType::VarChar) {
                param("max_length", f.max_length);
            }
        }
        _ => {}
    }
    if !params.is_empty() {
        out.insert("params".into(), Value::Array(params));
    }
    if let Some(default) = f.default_value.as_ref().and_then(|v| default_value(f, v)) {
        out.insert("defaultValue".into(), default);
    }
    Value::Object(out)
}

/// A default value as the server encodes its `ValueField` (§4.3): `{"Data":{"LongData":42}}`.
fn default_value(f: &FieldSchema, v: &Value) -> Option<Value> {
    let kind = match f.data_type {
        DataType::Bool => "BoolData",
        DataType::Int8 | DataType::Int16 | DataType::Int32 => "IntData",
        DataType::Int64 => "LongData",
        DataType::Float => "FloatData",
        DataType::Double => "DoubleData",
        DataType::VarChar | DataType::Text => "StringData",
        _ => return None,
    };
    if v.is_null() {
        return None;
    }
    Some(json!({"Data": {kind: v}}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_renders_params_defaults_and_element_types() {
        let schema = CollectionSchema::new()
            .field(
                FieldSchema::new("pk", DataType::Int64)
                    .primary_key(true)
                    .auto_id(true),
            )
            .field(FieldSchema::new("n", DataType::Int64).default_value(json!(42)))
            .field(
                FieldSchema::new("tags", DataType::Array)
                    .element_type(DataType::VarChar)
                    .max_capacity(16)
                    .max_length(32),
            )
            .field(FieldSchema::new("v", DataType::FloatVector).dim(8))
            .enable_dynamic_field(true);
        let mut collections = Collections::new();
        collections.insert("default", "c", schema.clone());
        let data = collections.describe("default", "c").unwrap();
        assert_eq!(data["autoId"], true);
        assert!(data["collectionID"].as_i64().unwrap() > 1 << 53);
        let fields = data["fields"].as_array().unwrap();
        assert_eq!(fields[0]["id"], 100);
        assert!(fields[0].get("params").is_none());
        assert_eq!(fields[1]["defaultValue"], json!({"Data": {"LongData": 42}}));
        assert_eq!(fields[2]["elementType"], "VarChar");
        assert_eq!(
            fields[2]["params"],
            json!([{"key": "max_capacity", "value": "16"}, {"key": "max_length", "value": "32"}])
        );
        assert_eq!(fields[3]["params"], json!([{"key": "dim", "value": "8"}]));
        assert_eq!(CollectionSchema::from_value(&data).unwrap(), schema);
        assert!(collections.describe("db1", "c").is_none());
    }
}

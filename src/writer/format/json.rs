//! JSON (`{"rows": [...]}`, the form every Milvus since 2.2 reads) and JSON Lines (one compact
//! row per line, Milvus 3.x). Values are written as `json.dumps` writes them (`ensure_ascii`,
//! Python's float repr, separators `", "` and `": "`), so a JSONL file is byte for byte what
//! pymilvus writes for the same stored values; JSON files lay out each row's keys on their own
//! lines as pymilvus does, but keep nested values (vectors, arrays, objects) on one line.

use std::io::Write;

use super::{push_cell_json, put, text, Chunk};

pub(super) fn write(chunk: &Chunk<'_>, out: &mut impl Write, lines: bool) -> std::io::Result<()> {
    let mut row = String::new();
    if !lines {
        put(out, "{\n  \"rows\": [")?;
    }
    for i in 0..chunk.rows {
        row.clear();
        if lines {
            row.push('{');
        } else {
            row.push_str(if i == 0 { "\n    {" } else { ",\n    {" });
        }
        for (c, col) in chunk.columns.iter().enumerate() {
            if lines {
                if c > 0 {
                    row.push_str(", ");
                }
            } else {
                row.push_str(if c == 0 { "\n      " } else { ",\n      " });
            }
            text::push_json_str(&mut row, &col.name);
            row.push_str(": ");
            push_cell_json(&mut row, col, i, true);
        }
        if lines {
            row.push_str("}\n");
        } else {
            row.push_str("\n    }");
        }
        put(out, &row)?;
    }
    if !lines {
        put(out, "\n  ]\n}")?;
    }
    Ok(())
}

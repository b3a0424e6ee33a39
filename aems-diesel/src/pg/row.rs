//! A result row as diesel reads it: the `DataRow` bytes and the columns.

use std::num::NonZeroU32;
use std::ops::Range;

use diesel::pg::{Pg, PgValue, TypeOidLookup};
use diesel::row::{Field, PartialRow, RowIndex, RowSealed};
use fallible_iterator::FallibleIterator;
use postgres_protocol::message::backend::DataRowBody;

use super::wire::{Column, Columns};

/// One row of a result.
pub struct PgRow {
    body: DataRowBody,
    ranges: Vec<Option<Range<usize>>>,
    columns: Columns,
}

impl PgRow {
    pub(crate) fn new(body: DataRowBody, columns: Columns) -> std::io::Result<Self> {
        let ranges = body.ranges().collect()?;
        Ok(Self {
            body,
            ranges,
            columns,
        })
    }
}

impl RowSealed for PgRow {}

impl<'a> diesel::row::Row<'a, Pg> for PgRow {
    type InnerPartialRow = Self;
    type Field<'f>
        = PgField<'f>
    where
        'a: 'f,
        Self: 'f;

    fn field_count(&self) -> usize {
        self.ranges.len()
    }

    fn get<'b, I>(&'b self, idx: I) -> Option<Self::Field<'b>>
    where
        'a: 'b,
        Self: RowIndex<I>,
    {
        let idx = self.idx(idx)?;
        Some(PgField {
            bytes: self.ranges[idx]
                .as_ref()
                .map(|r| &self.body.buffer()[r.clone()]),
            column: self.columns.get(idx)?,
        })
    }

    fn partial_row(&self, range: Range<usize>) -> PartialRow<'_, Self::InnerPartialRow> {
        PartialRow::new(self, range)
    }
}

impl RowIndex<usize> for PgRow {
    fn idx(&self, idx: usize) -> Option<usize> {
        (idx < self.ranges.len()).then_some(idx)
    }
}

impl<'a> RowIndex<&'a str> for PgRow {
    fn idx(&self, name: &'a str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// One value of a row.
pub struct PgField<'a> {
    bytes: Option<&'a [u8]>,
    column: &'a Column,
}

impl TypeOidLookup for Column {
    fn lookup(&self) -> NonZeroU32 {
        // `RowDescription` never reports OID 0 for a column; 25 (text) is
        // only a safe stand-in should a server ever do so.
        NonZeroU32::new(self.type_oid).unwrap_or(NonZeroU32::MIN.saturating_add(24))
    }
}

impl<'a> Field<'a, Pg> for PgField<'a> {
    fn field_name(&self) -> Option<&str> {
        Some(&self.column.name)
    }

    fn value(&self) -> Option<PgValue<'_>> {
        self.bytes.map(|b| PgValue::new(b, self.column))
    }
}

impl std::fmt::Debug for PgRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgRow")
            .field("columns", &self.columns.len())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for PgField<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the value: it may be a secret.
        f.debug_struct("PgField")
            .field("name", &self.column.name)
            .field("null", &self.bytes.is_none())
            .finish()
    }
}

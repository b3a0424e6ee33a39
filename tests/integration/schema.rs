//! The migrated schema checked against the specification and the project's
//! rules, read from pg_catalog — a table, column, index or policy that goes
//! missing fails here.

use std::collections::{BTreeMap, BTreeSet};

use tokio_postgres::Client;

use super::fixture::{TENANT_TABLES, USER_SCOPED_TABLES, seed_tenant};
use super::support::{admin, app, test_db};

const SPEC: &str = include_str!("../../docs/spec/database-schema.md");

/// Columns deliberately different from the spec (each listed with its reason
/// in docs/schema.md): (schema.table.column, the type we have instead).
const TYPE_DEVIATIONS: &[(&str, &str)] = &[
    // "Encrypted in application": an AEAD envelope cannot live in a DECIMAL.
    ("hr.employees.salary", "bytea"),
    // Widened where normal use overflows the seed's range.
    ("finance.budget_plans.variance_percentage", "numeric(9,2)"),
    ("finance.finance_metrics.gross_margin", "numeric(9,2)"),
    ("finance.finance_metrics.net_margin", "numeric(9,2)"),
    ("products.inventory_levels.turnover_rate", "numeric(9,2)"),
    (
        "products.product_performance.price_elasticity",
        "numeric(8,4)",
    ),
];

/// Columns the spec does not have (each listed with its reason in
/// docs/schema.md): (schema.table.column, its type). Both are generated.
const ADDED_COLUMNS: &[(&str, &str)] = &[
    // The stored full-text documents the searches match (003800).
    ("sales.customers.search_document", "tsvector"),
    ("products.products.search_document", "tsvector"),
];

/// The domain schema each spec table lives in.
fn schema_of(table: &str) -> &'static str {
    match table {
        "tenants" | "users" | "user_sessions" | "user_mfa" | "oauth_connections" => "auth",
        "sales_metrics" | "customers" | "sales_pipeline" => "sales",
        "finance_metrics" | "budget_plans" | "expense_transactions" => "finance",
        "hr_metrics" | "employees" | "recruitment_pipeline" => "hr",
        "products" | "inventory_levels" | "product_performance" => "products",
        "risk_assessments" | "compliance_records" | "audit_logs" => "risk",
        other => panic!("the spec has a table {other} this test does not place"),
    }
}

/// How many columns the spec's 20 tables have together (counted by hand).
const SPEC_COLUMN_COUNT: usize = 344;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    data_type: String,
    not_null: bool,
    default: Option<String>,
}

/// The columns of every `CREATE TABLE` in the spec's SQL, by `schema.table`.
fn spec_tables() -> BTreeMap<String, BTreeMap<String, Column>> {
    let mut tables = BTreeMap::new();
    let mut lines = SPEC.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(rest) = line.trim().strip_prefix("CREATE TABLE ") else {
            continue;
        };
        // Only definitions (`CREATE TABLE name (`): the partitioning example's
        // `PARTITION OF` and `(LIKE ...)` statements, and the Python migration
        // manager's `IF NOT EXISTS schema_migrations`, are not tables of the schema.
        if !rest.trim_end().ends_with('(') || rest.starts_with("IF NOT EXISTS") {
            continue;
        }
        let name = rest.split_whitespace().next().unwrap();
        // Gather column definitions; a continuation line is indented deeper.
        let mut defs: Vec<String> = Vec::new();
        for line in lines.by_ref() {
            if line.trim_start().starts_with(");") {
                break;
            }
            let text = line.split("--").next().unwrap().trim_end();
            if text.trim().is_empty() {
                continue;
            }
            if line.starts_with("        ") && !defs.is_empty() {
                defs.last_mut().unwrap().push(' ');
                defs.last_mut().unwrap().push_str(text.trim());
            } else {
                defs.push(text.trim().to_owned());
            }
        }
        let mut columns = BTreeMap::new();
        for def in defs {
            let first = def.split_whitespace().next().unwrap();
            if ["CONSTRAINT", "UNIQUE(", "UNIQUE", "CHECK", "PRIMARY"]
                .iter()
                .any(|k| first.starts_with(k))
            {
                continue;
            }
            let rest = def[first.len()..].trim();
            columns.insert(first.to_owned(), parse_column(rest));
        }
        tables.insert(format!("{}.{name}", schema_of(name)), columns);
    }
    tables
}

fn parse_column(def: &str) -> Column {
    let upper = def.to_uppercase();
    let (data_type, _) = [
        ("TIMESTAMP WITH TIME ZONE", "timestamp with time zone"),
        ("TEXT[]", "text[]"),
        ("UUID", "uuid"),
        ("INTEGER", "integer"),
        ("BOOLEAN", "boolean"),
        ("DATE", "date"),
        ("JSONB", "jsonb"),
        ("INET", "inet"),
        ("TEXT", "text"),
    ]
    .iter()
    .find(|(spec, _)| upper.starts_with(spec))
    .map(|(spec, pg)| (pg.to_string(), spec.len()))
    .or_else(|| {
        let open = def.find('(')?;
        let close = def.find(')')?;
        let args = def[open + 1..close].replace(' ', "");
        match &upper[..open] {
            "VARCHAR" => Some((format!("character varying({args})"), close + 1)),
            "DECIMAL" => Some((format!("numeric({args})"), close + 1)),
            _ => None,
        }
    })
    .unwrap_or_else(|| panic!("unknown type in spec column definition {def:?}"));
    let not_null = upper.contains("NOT NULL") || upper.contains("PRIMARY KEY");
    let default = upper.find("DEFAULT ").map(|at| {
        let tail = &def[at + "DEFAULT ".len()..];
        let end = [
            " NOT NULL",
            " CHECK",
            " REFERENCES",
            " UNIQUE",
            " PRIMARY",
            ",",
        ]
        .iter()
        .filter_map(|stop| tail.to_uppercase().find(stop))
        .min()
        .unwrap_or(tail.len());
        normalize_default(&tail[..end])
    });
    Column {
        data_type,
        not_null,
        default: default.filter(|d| d != "null"),
    }
}

/// Defaults compared without casts, schema prefixes or case.
fn normalize_default(expr: &str) -> String {
    let mut s = expr.trim().to_lowercase().replace("pg_catalog.", "");
    while let Some(at) = s.find("::") {
        let end = s[at + 2..]
            .find(|c: char| {
                !(c.is_ascii_alphanumeric()
                    || c == ' '
                    || c == '_'
                    || c == '('
                    || c == ')'
                    || c == ',')
            })
            .map(|e| at + 2 + e)
            .unwrap_or(s.len());
        s.replace_range(at..end, "");
    }
    s.trim().to_owned()
}

async fn actual_columns(client: &Client, qualified: &str) -> BTreeMap<String, Column> {
    let rows = client
        .query(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                    pg_get_expr(d.adbin, d.adrelid)
             FROM pg_attribute a
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE a.attrelid = $1::text::regclass AND a.attnum > 0 AND NOT a.attisdropped",
            &[&qualified],
        )
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            (
                r.get::<_, String>(0),
                Column {
                    data_type: r.get(1),
                    not_null: r.get(2),
                    default: r.get::<_, Option<String>>(3).map(|d| normalize_default(&d)),
                },
            )
        })
        .collect()
}

#[tokio::test]
async fn every_spec_table_exists_with_every_column_type_nullability_and_default() {
    let db = test_db().await;
    let client = admin(&db).await;
    let spec = spec_tables();
    assert_eq!(
        spec.len(),
        20,
        "the spec defines 20 tables: {:?}",
        spec.keys()
    );
    // The parser itself: one column read whole, and the spec's column count.
    assert_eq!(
        spec["auth.tenants"]["subscription_plan"],
        Column {
            data_type: "character varying(50)".into(),
            not_null: true,
            default: Some("'enterprise'".into()),
        }
    );
    let parsed: usize = spec.values().map(|c| c.len()).sum();
    assert_eq!(
        parsed, SPEC_COLUMN_COUNT,
        "parsed a different number of spec columns"
    );
    let mut problems = Vec::new();
    for (table, columns) in &spec {
        let actual = actual_columns(&client, table).await;
        if actual.is_empty() {
            problems.push(format!("{table}: missing"));
            continue;
        }
        for (name, expected) in columns {
            let key = format!("{table}.{name}");
            let Some(found) = actual.get(name) else {
                problems.push(format!("{key}: missing"));
                continue;
            };
            let mut expected = expected.clone();
            if let Some((_, ty)) = TYPE_DEVIATIONS.iter().find(|(k, _)| *k == key) {
                expected.data_type = ty.to_string();
            }
            if found != &expected {
                problems.push(format!("{key}: spec {expected:?}, database {found:?}"));
            }
        }
        for (name, found) in &actual {
            let key = format!("{table}.{name}");
            if columns.contains_key(name) {
                continue;
            }
            match ADDED_COLUMNS.iter().find(|(k, _)| *k == key) {
                Some((_, ty)) if found.data_type == *ty => {}
                Some((_, ty)) => problems.push(format!("{key}: added as {ty}, database {found:?}")),
                None => problems.push(format!("{key}: not in the spec")),
            }
        }
    }
    assert!(
        problems.is_empty(),
        "schema differs from the spec:\n{}",
        problems.join("\n")
    );
}

#[tokio::test]
async fn every_index_the_spec_names_exists() {
    let db = test_db().await;
    let client = admin(&db).await;
    let spec_names: BTreeSet<String> = SPEC
        .lines()
        .filter_map(|l| {
            let rest = l.trim().strip_prefix("CREATE INDEX ")?;
            let rest = rest.strip_prefix("CONCURRENTLY ").unwrap_or(rest);
            Some(rest.split_whitespace().next()?.to_owned())
        })
        .collect();
    assert!(
        spec_names.len() >= 20,
        "parsed too few spec indexes: {spec_names:?}"
    );
    let rows = client
        .query(
            "SELECT indexname::text FROM pg_indexes
             WHERE schemaname IN ('auth','sales','finance','hr','products','risk')",
            &[],
        )
        .await
        .unwrap();
    let present: BTreeSet<String> = rows.iter().map(|r| r.get(0)).collect();
    let missing: Vec<_> = spec_names.difference(&present).collect();
    assert!(missing.is_empty(), "spec indexes missing: {missing:?}");

    // A CONCURRENTLY build that failed leaves an INVALID index behind.
    let invalid = client
        .query(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid",
            &[],
        )
        .await
        .unwrap();
    assert!(
        invalid.is_empty(),
        "invalid indexes: {:?}",
        invalid
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn every_tenant_table_has_forced_rls_a_policy_and_a_tenant_leading_index() {
    let db = test_db().await;
    let client = admin(&db).await;
    // Every ordinary or partitioned table of the domain schemas (partitions are
    // covered by their parent).
    let rows = client
        .query(
            "SELECT c.oid::regclass::text, c.relrowsecurity, c.relforcerowsecurity,
                    (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid),
                    EXISTS (SELECT 1 FROM pg_attribute a
                            WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped),
                    EXISTS (SELECT 1 FROM pg_index i
                            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
                            WHERE i.indrelid = c.oid AND a.attname = 'tenant_id')
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname IN ('auth','sales','finance','hr','products','risk')
               AND c.relkind IN ('r','p') AND NOT c.relispartition
             ORDER BY 1",
            &[],
        )
        .await
        .unwrap();
    let tables: BTreeSet<String> = rows.iter().map(|r| r.get(0)).collect();
    let expected: BTreeSet<String> = TENANT_TABLES.iter().map(|t| t.to_string()).collect();
    assert_eq!(
        tables, expected,
        "the domain schemas hold other tables than the spec's 20"
    );
    for row in rows {
        let table: String = row.get(0);
        assert!(
            row.get::<_, bool>(1),
            "{table}: row-level security not enabled"
        );
        assert!(
            row.get::<_, bool>(2),
            "{table}: row-level security not forced"
        );
        assert!(row.get::<_, i64>(3) >= 1, "{table}: no policy");
        let has_tenant_id: bool = row.get(4);
        if USER_SCOPED_TABLES.contains(&table.as_str()) || table == "auth.tenants" {
            continue;
        }
        assert!(has_tenant_id, "{table}: no tenant_id column");
        assert!(
            row.get::<_, bool>(5),
            "{table}: no index leading with tenant_id"
        );
    }
}

/// Opens a transaction as the application role with `tenant` (or none) set.
async fn as_application(client: &Client, tenant: Option<uuid::Uuid>) {
    client.batch_execute("BEGIN").await.unwrap();
    client
        .execute(
            "SELECT set_config('role', 'application_user', true),
                    set_config('app.current_tenant_id', $1, true)",
            &[&tenant.map(|t| t.to_string()).unwrap_or_default()],
        )
        .await
        .unwrap();
}

/// The column that says whose a row is: tenant_id, the tenant's own id, or the user.
fn owner_column(table: &str) -> &'static str {
    match table {
        "auth.tenants" => "id",
        t if USER_SCOPED_TABLES.contains(&t) => "user_id",
        _ => "tenant_id",
    }
}

#[tokio::test]
async fn without_a_tenant_the_application_role_sees_no_row_of_any_table() {
    let db = test_db().await;
    let admin = admin(&db).await;
    seed_tenant(&admin, "a").await;
    seed_tenant(&admin, "b").await;
    let client = app(&db).await;
    for tenant in [None, Some(uuid::Uuid::nil())] {
        as_application(&client, tenant).await;
        for table in TENANT_TABLES {
            let n: i64 = client
                .query_one(&format!("SELECT count(*) FROM {table}"), &[])
                .await
                .unwrap()
                .get(0);
            assert_eq!(n, 0, "{table}: {n} rows visible with tenant {tenant:?}");
        }
        client.batch_execute("ROLLBACK").await.unwrap();
    }
}

#[tokio::test]
async fn tenant_a_can_neither_see_change_delete_nor_insert_rows_of_tenant_b() {
    let db = test_db().await;
    let admin = admin(&db).await;
    let a = seed_tenant(&admin, "a").await;
    let b = seed_tenant(&admin, "b").await;
    let client = app(&db).await;
    for table in TENANT_TABLES {
        let owner = owner_column(table);
        let (mine, theirs) = if owner == "user_id" {
            (a.user, b.user)
        } else {
            (a.tenant, b.tenant)
        };

        as_application(&client, Some(a.tenant)).await;
        let row = client
            .query_one(
                &format!("SELECT count(*) FILTER (WHERE {owner} = $1), count(*) FILTER (WHERE {owner} <> $1) FROM {table}"),
                &[&mine],
            )
            .await
            .unwrap();
        assert!(
            row.get::<_, i64>(0) > 0,
            "{table}: tenant A does not see its own rows"
        );
        assert_eq!(
            row.get::<_, i64>(1),
            0,
            "{table}: tenant A sees rows of another tenant"
        );

        // Updates and deletes aimed at B's rows find nothing.
        if table != "risk.audit_logs" {
            let updated = client
                .execute(
                    &format!("UPDATE {table} SET {owner} = {owner} WHERE {owner} = $1"),
                    &[&theirs],
                )
                .await
                .unwrap();
            assert_eq!(updated, 0, "{table}: tenant A updated B's rows");
        }
        if table != "risk.audit_logs" && table != "auth.tenants" {
            let deleted = client
                .execute(
                    &format!("DELETE FROM {table} WHERE {owner} = $1"),
                    &[&theirs],
                )
                .await
                .unwrap();
            assert_eq!(deleted, 0, "{table}: tenant A deleted B's rows");
        }

        // A copy of A's own row, moved to B, is refused by the policy
        // (every column but the generated ones, which PostgreSQL computes).
        let columns: String = client
            .query_one(
                "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
                 WHERE attrelid = $1::text::regclass AND attnum > 0 AND NOT attisdropped
                   AND attgenerated = ''",
                &[&table],
            )
            .await
            .unwrap()
            .get(0);
        let err = client
            .execute(
                &format!(
                    "INSERT INTO {table} ({columns})
                     SELECT {columns} FROM (
                         SELECT (jsonb_populate_record(NULL::{table},
                                 to_jsonb(r) || jsonb_build_object('id', gen_random_uuid(), '{owner}', $1::uuid))).*
                         FROM {table} r LIMIT 1) AS copy"
                ),
                &[&theirs],
            )
            .await
            .expect_err(&format!("{table}: an insert carrying B's {owner} was accepted"));
        assert_eq!(
            err.code(),
            Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{table}: {err}"
        );
        client.batch_execute("ROLLBACK").await.unwrap();
    }
}

#[tokio::test]
async fn the_application_role_cannot_change_or_remove_audit_rows() {
    let db = test_db().await;
    let admin = admin(&db).await;
    let a = seed_tenant(&admin, "a").await;
    let client = app(&db).await;
    for statement in [
        "UPDATE risk.audit_logs SET action = 'forged'",
        "DELETE FROM risk.audit_logs",
        "TRUNCATE risk.audit_logs",
    ] {
        as_application(&client, Some(a.tenant)).await;
        let err = client
            .execute(statement, &[])
            .await
            .expect_err(&format!("{statement} was allowed"));
        assert_eq!(
            err.code(),
            Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{statement}: {err}"
        );
        client.batch_execute("ROLLBACK").await.unwrap();
    }
}

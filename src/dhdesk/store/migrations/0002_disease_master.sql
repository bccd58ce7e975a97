-- 傷病名マスター (支払基金 b_ALL): レセ電 傷病名コード → ICD-10 (2013); natural key disease_code.
CREATE TABLE disease_master (
    disease_code       VARCHAR NOT NULL,          -- 傷病名コード
    disease_name       VARCHAR NOT NULL,          -- 傷病名
    icd10              VARCHAR,                   -- ICD10 (ICD-10-1 2013, dotted: E11.9)
    icd10_2            VARCHAR,                   -- ICD10 2 (ICD-10-2 2013)
    abolished_date     DATE,                      -- 廃止年月日
    batch_id           BIGINT NOT NULL,
    superseded_by      BIGINT
);

-- import_batches.kind may now be 'disease_master'. DuckDB cannot change a CHECK constraint, so the table is
-- rebuilt with the same rows.
CREATE TABLE import_batches_v2 (
    batch_id           BIGINT PRIMARY KEY,
    kind               VARCHAR NOT NULL CHECK (kind IN ('members', 'checkups', 'claims', 'drug_master', 'disease_master')),
    source_name        VARCHAR NOT NULL,
    source_sha256      VARCHAR NOT NULL,
    imported_at        TIMESTAMP NOT NULL,
    row_count          BIGINT NOT NULL,           -- rows of the kind's main table (members, checkups, receipts, drug_master)
    replaced_count     BIGINT NOT NULL,           -- current rows this batch superseded
    table_counts       JSON NOT NULL,             -- rows per table, e.g. {"receipts": 10, "drug_lines": 52}
    status             VARCHAR NOT NULL CHECK (status IN ('active', 'undone')),
    undone_at          TIMESTAMP,
    preset             VARCHAR,
    note               VARCHAR
);
INSERT INTO import_batches_v2 SELECT * FROM import_batches;
DROP TABLE import_batches;
ALTER TABLE import_batches_v2 RENAME TO import_batches;

-- Schema v1 of a dhdesk workspace (ワークスペース). FROZEN: never edit after release; change the schema
-- with a new numbered file. Data columns mirror dhdesk.core.fields (TEXT→VARCHAR, DATE→DATE,
-- NUMBER→DOUBLE, INTEGER→BIGINT, SEX/ANSWER/CODE with choices→SMALLINT, CODE→VARCHAR; required→NOT NULL);
-- tests/test_store_migrations.py fails when fields.py and this schema drift apart.
--
-- Store-managed columns: batch_id (the import that brought the row), superseded_by (the later batch
-- whose row with the same natural key replaced this one; NULL = current). Imports never delete rows,
-- so undoing a batch brings back exactly what it replaced.

CREATE TABLE meta (
    schema_version     INTEGER NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    app_version        VARCHAR NOT NULL   -- the dhdesk version that last migrated this file
);
INSERT INTO meta VALUES (0, CAST(current_localtimestamp() AS TIMESTAMP), '');

CREATE TABLE union_info (
    id                 SMALLINT PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    name               VARCHAR NOT NULL,
    insurer_number     VARCHAR NOT NULL,
    union_type         VARCHAR NOT NULL,
    postal_code        VARCHAR NOT NULL,
    address            VARCHAR NOT NULL,
    phone              VARCHAR NOT NULL,
    department         VARCHAR NOT NULL
);

CREATE TABLE settings (
    key                VARCHAR PRIMARY KEY,
    value              JSON NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);

-- 取込プリセット: a confirmed column mapping, found again by the header signature of the next file.
CREATE TABLE mapping_presets (
    name               VARCHAR PRIMARY KEY,
    kind               VARCHAR NOT NULL,
    header_signature   VARCHAR NOT NULL,
    mapping            JSON NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);

CREATE SEQUENCE batch_id_seq START 1;
CREATE TABLE import_batches (
    batch_id           BIGINT PRIMARY KEY,
    kind               VARCHAR NOT NULL CHECK (kind IN ('members', 'checkups', 'claims', 'drug_master')),
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

-- 加入者台帳: one row per member per 資格期間; natural key (member_id, acquired_date).
CREATE TABLE members (
    member_id          VARCHAR NOT NULL,          -- 加入者番号
    kigo               VARCHAR,                   -- 記号
    bango              VARCHAR,                   -- 番号
    edaban             VARCHAR,                   -- 枝番
    name               VARCHAR NOT NULL,          -- 氏名
    name_kana          VARCHAR,                   -- 氏名カナ
    sex                SMALLINT NOT NULL CHECK (sex IN (1, 2)),          -- 性別
    birth_date         DATE NOT NULL,             -- 生年月日
    relation           SMALLINT NOT NULL CHECK (relation IN (1, 2)),     -- 本人家族
    insured_id         VARCHAR,                   -- 組合員加入者番号
    shikaku_kubun      VARCHAR,                   -- 資格区分
    office             VARCHAR,                   -- 所属所
    postal_code        VARCHAR,                   -- 郵便番号
    address1           VARCHAR,                   -- 住所1
    address2           VARCHAR,                   -- 住所2
    phone              VARCHAR,                   -- 電話番号
    acquired_date      DATE NOT NULL,             -- 資格取得日
    lost_date          DATE,                      -- 資格喪失日
    no_mail            SMALLINT CHECK (no_mail IN (1, 2)),               -- 通知不要
    deceased_date      DATE,                      -- 死亡日
    batch_id           BIGINT NOT NULL,
    superseded_by      BIGINT
);

-- 健診結果: one row per member and exam; natural key (member_id, exam_date).
CREATE SEQUENCE checkup_id_seq START 1;
CREATE TABLE checkups (
    checkup_id         BIGINT NOT NULL,
    fiscal_year        INTEGER NOT NULL,          -- 年度 of exam_date (April to March)
    member_id          VARCHAR NOT NULL,          -- 加入者番号
    sex                SMALLINT NOT NULL CHECK (sex IN (1, 2)),          -- 性別
    birth_date         DATE NOT NULL,             -- 生年月日
    exam_date          DATE NOT NULL,             -- 健診日
    clinic             VARCHAR,                   -- 健診機関
    height             DOUBLE,                    -- 身長
    weight             DOUBLE,                    -- 体重
    bmi                DOUBLE,                    -- BMI
    waist              DOUBLE,                    -- 腹囲
    sbp                DOUBLE,                    -- 収縮期血圧
    dbp                DOUBLE,                    -- 拡張期血圧
    blood_timing       SMALLINT CHECK (blood_timing IN (2, 3, 4)),       -- 採血時間
    tg_fasting         DOUBLE,                    -- 空腹時中性脂肪
    tg_random          DOUBLE,                    -- 随時中性脂肪
    hdl                DOUBLE,                    -- HDLコレステロール
    ldl                DOUBLE,                    -- LDLコレステロール
    non_hdl            DOUBLE,                    -- Non-HDLコレステロール
    fbg                DOUBLE,                    -- 空腹時血糖
    rbg                DOUBLE,                    -- 随時血糖
    hba1c              DOUBLE,                    -- HbA1c
    ast                DOUBLE,                    -- AST
    alt                DOUBLE,                    -- ALT
    ggt                DOUBLE,                    -- γ-GT
    creatinine         DOUBLE,                    -- 血清クレアチニン
    egfr               DOUBLE,                    -- eGFR
    urine_glucose      VARCHAR,                   -- 尿糖
    urine_protein      VARCHAR,                   -- 尿蛋白
    hb                 DOUBLE,                    -- 血色素量
    hematocrit         DOUBLE,                    -- ヘマトクリット
    rbc                DOUBLE,                    -- 赤血球数
    ecg                SMALLINT,                  -- 心電図
    fundus_kw          VARCHAR,                   -- 眼底_KW分類
    history            SMALLINT,                  -- 既往歴
    symptoms           SMALLINT,                  -- 自覚症状
    signs              SMALLINT,                  -- 他覚症状
    doctor_judgement   VARCHAR,                   -- 医師の判断
    med_bp             SMALLINT CHECK (med_bp IN (1, 2)),                -- 服薬_血圧
    med_glucose        SMALLINT CHECK (med_glucose IN (1, 2)),           -- 服薬_血糖
    med_lipid          SMALLINT CHECK (med_lipid IN (1, 2)),             -- 服薬_脂質
    hx_stroke          SMALLINT CHECK (hx_stroke IN (1, 2)),             -- 既往歴_脳血管
    hx_heart           SMALLINT CHECK (hx_heart IN (1, 2)),              -- 既往歴_心血管
    hx_kidney          SMALLINT CHECK (hx_kidney IN (1, 2)),             -- 既往歴_腎不全
    hx_anemia          SMALLINT CHECK (hx_anemia IN (1, 2)),             -- 貧血
    smoking            SMALLINT CHECK (smoking IN (1, 2, 3)),            -- 喫煙
    weight_gain        SMALLINT CHECK (weight_gain IN (1, 2)),           -- 体重増加
    exercise           SMALLINT CHECK (exercise IN (1, 2)),              -- 運動習慣
    activity           SMALLINT CHECK (activity IN (1, 2)),              -- 身体活動
    walk_speed         SMALLINT CHECK (walk_speed IN (1, 2)),            -- 歩行速度
    chewing            SMALLINT CHECK (chewing IN (1, 2, 3)),            -- 咀嚼
    eating_speed       SMALLINT CHECK (eating_speed IN (1, 2, 3)),       -- 食べる速度
    late_dinner        SMALLINT CHECK (late_dinner IN (1, 2)),           -- 就寝前夕食
    snacking           SMALLINT CHECK (snacking IN (1, 2, 3)),           -- 間食
    skip_breakfast     SMALLINT CHECK (skip_breakfast IN (1, 2)),        -- 朝食欠食
    drinking_freq      SMALLINT CHECK (drinking_freq IN (1, 2, 3, 4, 5, 6, 7, 8)),  -- 飲酒頻度
    drinking_amount    SMALLINT CHECK (drinking_amount IN (1, 2, 3, 4, 5)),       -- 飲酒量
    sleep              SMALLINT CHECK (sleep IN (1, 2)),                 -- 睡眠
    willingness        SMALLINT CHECK (willingness IN (1, 2, 3, 4, 5)),  -- 改善意欲
    guidance_before    SMALLINT CHECK (guidance_before IN (1, 2)),       -- 保健指導利用歴
    clinic_level       VARCHAR,                   -- 健診機関判定_保健指導レベル
    clinic_metabo      VARCHAR,                   -- 健診機関判定_メタボ
    batch_id           BIGINT NOT NULL,
    superseded_by      BIGINT
);

-- レセプト: one row per receipt; claim_id links the detail tables. Natural key
-- (member_id, service_month, facility_code, receipt_id): a resent receipt replaces the earlier one.
CREATE SEQUENCE claim_id_seq START 1;
CREATE TABLE receipts (
    claim_id           BIGINT NOT NULL,
    fiscal_year        INTEGER NOT NULL,          -- 年度 of service_month
    receipt_id         VARCHAR NOT NULL,          -- レセプト番号
    member_id          VARCHAR NOT NULL,          -- 加入者番号
    service_month      VARCHAR NOT NULL CHECK (regexp_full_match(service_month, '(19|20)[0-9]{2}(0[1-9]|1[0-2])')),  -- 診療年月 yyyymm
    claim_type         SMALLINT NOT NULL CHECK (claim_type IN (1, 2, 3, 4, 5)),  -- レセプト区分
    receipt_kind       VARCHAR,                   -- レセプト種別
    facility_code      VARCHAR,                   -- 医療機関コード
    facility_name      VARCHAR,                   -- 医療機関名
    days               BIGINT,                    -- 診療実日数
    points             BIGINT NOT NULL,           -- 合計点数
    public_expense     SMALLINT CHECK (public_expense IN (1, 2)),        -- 公費併用
    batch_id           BIGINT NOT NULL,
    superseded_by      BIGINT
);

-- Receipt details follow their receipt: current exactly when their receipt is. line_no keeps file order.
CREATE TABLE diagnoses (
    claim_id           BIGINT NOT NULL,
    line_no            INTEGER NOT NULL,
    receipt_id         VARCHAR NOT NULL,          -- レセプト番号
    disease_code       VARCHAR,                   -- 傷病名コード
    disease_name       VARCHAR,                   -- 傷病名
    icd10              VARCHAR,                   -- ICD10
    start_date         DATE,                      -- 診療開始日
    is_main            SMALLINT CHECK (is_main IN (1, 2)),               -- 主傷病
    is_suspected       SMALLINT CHECK (is_suspected IN (1, 2)),          -- 疑い
    batch_id           BIGINT NOT NULL
);

CREATE TABLE drug_lines (
    claim_id           BIGINT NOT NULL,
    line_no            INTEGER NOT NULL,
    receipt_id         VARCHAR NOT NULL,          -- レセプト番号
    drug_code          VARCHAR,                   -- 医薬品コード
    yj_code            VARCHAR,                   -- 薬価基準コード
    drug_name          VARCHAR,                   -- 医薬品名
    quantity           DOUBLE,                    -- 使用量
    days               BIGINT,                    -- 日数
    points             BIGINT,                    -- 点数
    dispensed_date     DATE,                      -- 調剤日
    batch_id           BIGINT NOT NULL,
    CHECK (drug_code IS NOT NULL OR yj_code IS NOT NULL)
);

CREATE TABLE procedures (
    claim_id           BIGINT NOT NULL,
    line_no            INTEGER NOT NULL,
    receipt_id         VARCHAR NOT NULL,          -- レセプト番号
    procedure_code     VARCHAR NOT NULL,          -- 診療行為コード
    procedure_name     VARCHAR,                   -- 診療行為名
    points             BIGINT,                    -- 点数
    times              BIGINT,                    -- 回数
    batch_id           BIGINT NOT NULL
);

-- 医薬品マスター, versioned by the date it applies from; natural key (version_date, yj_code).
CREATE TABLE drug_master (
    version_date       DATE NOT NULL,             -- 適用開始日
    yj_code            VARCHAR NOT NULL,          -- 薬価基準収載医薬品コード
    receipt_code       VARCHAR,                   -- 医薬品コード
    category           VARCHAR,                   -- 区分
    ingredient         VARCHAR NOT NULL,          -- 成分名
    strength           VARCHAR,                   -- 規格
    product_name       VARCHAR NOT NULL,          -- 品名
    maker              VARCHAR,                   -- メーカー名
    price              DOUBLE NOT NULL,           -- 薬価
    generic_info       VARCHAR,                   -- 後発医薬品情報
    transition_until   DATE,                      -- 経過措置期限
    batch_id           BIGINT NOT NULL,
    superseded_by      BIGINT
);

-- 対象者抽出: one run of a program with its inputs; the target list is reviewed, then approved.
CREATE SEQUENCE run_id_seq START 1;
CREATE TABLE program_runs (
    run_id             BIGINT PRIMARY KEY,
    program            VARCHAR NOT NULL,          -- hokenshido, jushin, chudan, jinsho, mijushin, generic, tazai
    fiscal_year        INTEGER NOT NULL,
    period_month       VARCHAR,                   -- yyyymm for monthly programs (差額通知)
    rule_id            VARCHAR NOT NULL,
    rule_version       VARCHAR NOT NULL,
    params             JSON NOT NULL,
    funnel             JSON,                      -- eligible → meets criteria → after each exclusion → final
    created_at         TIMESTAMP NOT NULL,
    status             VARCHAR NOT NULL CHECK (status IN ('draft', 'approved', 'discarded')),
    approved_at        TIMESTAMP,
    note               VARCHAR
);

-- Nothing is deleted: an excluded member stays with the reason and who excluded them.
CREATE TABLE program_targets (
    run_id             BIGINT NOT NULL,
    member_id          VARCHAR NOT NULL,
    tier               VARCHAR,                   -- e.g. ①すぐに受診, 積極的支援, A
    reason             VARCHAR NOT NULL,          -- one line for the review table
    details            JSON,                      -- values, rule and source behind the reason
    warnings           JSON,                      -- list of messages (address missing, unprintable character…)
    voucher_number     VARCHAR,                   -- 利用券番号 (特定保健指導)
    excluded           BOOLEAN NOT NULL,
    exclusion_reason   VARCHAR,
    excluded_by        VARCHAR CHECK (excluded_by IN ('rule', 'clerk')),
    holdout            BOOLEAN NOT NULL,          -- held back at random for effect measurement
    PRIMARY KEY (run_id, member_id)
);

-- 発送履歴: one batch per approved list sent; cancelling keeps the batch and marks it.
CREATE SEQUENCE notice_batch_id_seq START 1;
CREATE TABLE notice_batches (
    batch_id           BIGINT PRIMARY KEY,
    run_id             BIGINT NOT NULL,
    program            VARCHAR NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    route              VARCHAR NOT NULL CHECK (route IN ('home', 'office', 'mixed')),  -- 自宅直送 / 所属所経由
    params             JSON,
    template           JSON,                      -- the letter template as printed, for exact reprints
    status             VARCHAR NOT NULL CHECK (status IN ('issued', 'cancelled')),
    cancelled_at       TIMESTAMP,
    note               VARCHAR
);

CREATE TABLE notices (
    batch_id           BIGINT NOT NULL,
    member_id          VARCHAR NOT NULL,
    seq                INTEGER NOT NULL,          -- position of the letter in the batch (list order)
    route              VARCHAR CHECK (route IN ('home', 'office')),
    tier               VARCHAR,
    letter_sha256      VARCHAR NOT NULL,
    sent_date          DATE,
    content            JSON,                      -- the letter content as printed (items, drugs, amounts)
    PRIMARY KEY (batch_id, member_id)
);

CREATE SEQUENCE audit_id_seq START 1;
CREATE TABLE audit_log (
    audit_id           BIGINT PRIMARY KEY DEFAULT nextval('audit_id_seq'),
    ts                 TIMESTAMP NOT NULL,
    actor              VARCHAR NOT NULL,
    action             VARCHAR NOT NULL,
    detail             JSON NOT NULL
);

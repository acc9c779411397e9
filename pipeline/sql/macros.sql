-- How a recorded EthnicCategory is classed (extracts.md): surrounding spaces ignored, '99'
-- is not known, a first character Z is not stated, a first character that is a national
-- letter is valid, anything else non-blank is invalid, blank or null is missing.
CREATE OR REPLACE MACRO ethnic_status(v) AS
    CASE
        WHEN v IS NULL OR trim(v) = '' THEN 'missing'
        WHEN trim(v) = '99' THEN 'not_known'
        WHEN left(trim(v), 1) = 'Z' THEN 'not_stated'
        WHEN left(trim(v), 1) IN (SELECT code FROM ref_ethnic_category) THEN 'valid'
        ELSE 'invalid'
    END;

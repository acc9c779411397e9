-- AC05: referrals received in the year whose first attended contact came within 28 days,
-- out of referrals received in the year that had an attended contact.
WITH first_contact AS (
    SELECT UniqServReqID, min(CareContDate) AS first_date
    FROM mhs201carecontact
    WHERE list_contains($attended_codes, AttendOrDNACode)
    GROUP BY UniqServReqID
)
SELECT r.OrgIDProv AS provider, r.Person_ID,
       CAST(f.first_date - r.ReferralRequestReceivedDate <= 28 AS INTEGER) AS numerator,
       1 AS denominator
FROM mhs101referral AS r
JOIN first_contact AS f USING (UniqServReqID)
WHERE r.ReferralRequestReceivedDate BETWEEN $start AND $end
  AND f.first_date >= r.ReferralRequestReceivedDate

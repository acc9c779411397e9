-- AC02: referrals received in the year that came through the justice system (E1-E6).
SELECT OrgIDProv AS provider, Person_ID,
       CAST(coalesce(list_contains($justice_codes, trim(SourceOfReferralMH)), false) AS INTEGER) AS numerator,
       1 AS denominator
FROM mhs101referral
WHERE ReferralRequestReceivedDate BETWEEN $start AND $end

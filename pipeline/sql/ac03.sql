-- AC03: referrals received in the year that came from an emergency department (H1).
SELECT OrgIDProv AS provider, Person_ID,
       CAST(coalesce(list_contains($emergency_codes, trim(SourceOfReferralMH)), false) AS INTEGER) AS numerator,
       1 AS denominator
FROM mhs101referral
WHERE ReferralRequestReceivedDate BETWEEN $start AND $end

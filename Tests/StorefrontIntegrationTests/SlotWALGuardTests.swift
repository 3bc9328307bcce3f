import Logging
import PostgresNIO
import StorefrontCore
import StorefrontPostgres
import StorefrontTestSupport
import Testing

/// A dead peer's slot must not be able to fill a region's disk: start-up refuses a server with no bound on it.
@Suite struct SlotWALGuardTests {
    @Test func anUnlimitedSlotWALIsRefusedUnlessAllowedAndThenWarned() {
        guard case .refused(let problem) = slotWALVerdict(limit: "-1", allowUnlimited: false) else {
            Issue.record("an unlimited max_slot_wal_keep_size was not refused")
            return
        }
        #expect(problem.contains("max_slot_wal_keep_size") && problem.contains("STOREFRONT_ALLOW_UNLIMITED_SLOT_WAL=true"))
        guard case .allowed(let warning) = slotWALVerdict(limit: "-1", allowUnlimited: true) else {
            Issue.record("the override did not allow an unlimited max_slot_wal_keep_size")
            return
        }
        #expect(warning.contains("until the disk is full"))
        #expect(slotWALVerdict(limit: "1GB", allowUnlimited: false) == .bounded)
        #expect(slotWALVerdict(limit: "0", allowUnlimited: false) == .bounded)
    }

    /// The clusters scripts/test starts bound it (1GB), as the lab's do: the check reads the real setting.
    @Test func aBoundedServerPassesTheCheck() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await database.asApp { client async throws in
                try await checkSlotWALLimit(client, allowUnlimited: false, logger: TestDatabase.logger)
                let limit = try await client.rows("SELECT current_setting('max_slot_wal_keep_size')")[0].decode(String.self)
                #expect(limit != "-1")
            }
        }
    }
}

import Logging
import PostgresNIO
import StorefrontCore
import StorefrontTestSupport
import Testing

@testable import StorefrontPostgres

@Suite struct MigratorTests {
    func migrator(_ migrations: [Migration]? = nil) throws -> Migrator {
        try Migrator(migrations: migrations ?? Migration.bundled(), appRole: "storefront", logger: TestDatabase.logger)
    }

    @Test func rerunningMigrationsAppliesNothing() async throws {
        try await TestDatabase.withDatabase { database async throws in
            let migrator = try migrator()
            try await database.asOwner { client async throws in
                let result1 = try await migrator.migrate(client)
                #expect(result1 == [])
                let result2 = try await migrator.check(client)
                #expect(result2 == [])
            }
        }
    }

    @Test func aNewMigrationIsAppliedOnceAndRecorded() async throws {
        try await TestDatabase.withDatabase { database async throws in
            let extra = Migration(version: 9001, name: "extra", sql: "CREATE TABLE extra (id int PRIMARY KEY); INSERT INTO extra VALUES (1);")
            let migrator = try migrator(Migration.bundled() + [extra])
            try await database.asOwner { client async throws in
                let result3 = try await migrator.check(client)
                #expect(result3 == [9001])
                let result4 = try await migrator.migrate(client)
                #expect(result4 == [9001])
                let result5 = try await migrator.migrate(client)
                #expect(result5 == [])
                #expect(try await client.scalar("SELECT count(*) FROM extra", as: Int.self) == 1)
                #expect(try await client.scalar("SELECT name FROM schema_migrations WHERE version = 9001", as: String.self) == "extra")
            }
        }
    }

    @Test func aFailingMigrationLeavesNothingBehind() async throws {
        try await TestDatabase.withDatabase { database async throws in
            let broken = Migration(version: 9002, name: "broken", sql: "CREATE TABLE half (id int); SELECT no_such_function();")
            let migrator = try migrator(Migration.bundled() + [broken])
            try await database.asOwner { client async throws in
                await #expect(throws: (any Error).self) { try await migrator.migrate(client) }
                #expect(try await client.scalar("SELECT to_regclass('half') IS NULL", as: Bool.self))
                #expect(try await client.scalar("SELECT count(*) FROM schema_migrations WHERE version = 9002", as: Int.self) == 0)
            }
        }
    }

    @Test func aDatabaseWithAnUnknownMigrationIsRefused() async throws {
        try await TestDatabase.withDatabase { database async throws in
            let migrator = try migrator()
            try await database.asOwner { client async throws in
                try await client.run("INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'future', 'x')")
                await #expect(throws: StorefrontError.self) { try await migrator.migrate(client) }
                await #expect(throws: StorefrontError.self) { try await migrator.check(client) }
            }
        }
    }

    @Test func anEditedMigrationIsRefused() async throws {
        try await TestDatabase.withDatabase { database async throws in
            let migrator = try migrator()
            try await database.asOwner { client async throws in
                try await client.run("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
                await #expect(throws: StorefrontError.self) { try await migrator.check(client) }
            }
        }
    }

    @Test func theServingRoleHasRowAccessButNoDDLTruncateOrSuperuser() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await database.asApp { client async throws in
                #expect(try await client.scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", as: Bool.self) == false)
                #expect(try await client.scalar("SELECT count(*) FROM products", as: Int.self) == TestDatabase.seededProducts)
                await #expect(throws: PSQLError.self) { try await client.rows("CREATE TABLE sneaky (id int)") }
                await #expect(throws: PSQLError.self) { try await client.rows("TRUNCATE stock") }
                await #expect(throws: PSQLError.self) { try await client.rows("DELETE FROM schema_migrations") }
            }
        }
    }

    @Test func scriptsSplitIntoStatementsRespectingQuotesAndBodies() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE a (b text DEFAULT 'x;y');
            CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;
            /* block; comment */ SELECT $tag$ ; $tag$, "semi;colon" FROM a;
            SELECT $1
            """
        let statements = SQLScript.statements(script)
        #expect(statements.count == 4)
        #expect(statements[1].hasSuffix("$$ SELECT 1; $$"))
        #expect(statements[2].contains("$tag$ ; $tag$"))
        #expect(statements[3] == "SELECT $1")
    }
}

-- API keys are found by their id and checked against a salted scrypt hash. The old rows' unsalted
-- SHA-256 and the key's first characters are removed: they cannot be re-hashed without the key, so
-- the control plane deletes these rows at start-up, with a warning naming each.

-- DropIndex
DROP INDEX "ApiKey_hash_key";

-- AlterTable
ALTER TABLE "ApiKey" DROP COLUMN "prefix";

-- Invalidate the old hashes
UPDATE "ApiKey" SET "hash" = 'invalidated' WHERE "hash" NOT LIKE 'scrypt$%';

// cdktf's matchers (toHaveResourceWithProperties, ...) without loading cdktf itself.
import { setupJest } from "cdktf/lib/testing/adapters/jest";
import { removeTempDirs } from "./helpers";

setupJest();

// Every test file removes the temporary projects it made, also when a test failed.
afterAll(() => removeTempDirs());

// cdktf's matchers (toHaveResourceWithProperties, ...) without loading cdktf itself.
import { setupJest } from "cdktf/lib/testing/adapters/jest";

setupJest();

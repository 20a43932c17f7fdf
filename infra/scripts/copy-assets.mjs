// Copies non-TypeScript assets (Lua scripts) from each package's src/ to its dist/.
import { cpSync, readdirSync, existsSync, statSync } from "node:fs";
import { join } from "node:path";

for (const group of ["libs", "services"]) {
  for (const pkg of readdirSync(group)) {
    const src = join(group, pkg, "src");
    if (!existsSync(src)) continue;
    cpSync(src, join(group, pkg, "dist"), {
      recursive: true,
      filter: (path) => statSync(path).isDirectory() || path.endsWith(".lua"),
    });
  }
}

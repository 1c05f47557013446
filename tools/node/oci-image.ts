// A one-layer container image as an OCI image-layout archive, which
// `ctr images import` takes as it is: the manifest's digest is fixed here, so a
// pod spec can pin the image by it (and the kubelet never pulls). The tar
// format is small enough to write (POSIX ustar), which spares a dependency.
import * as crypto from "crypto";

export interface LayerEntry {
  /** Path inside the image, without a leading slash. */
  readonly name: string;
  readonly mode: number;
  readonly content?: Buffer;
  readonly directory?: boolean;
  /** A symbolic link to this target. */
  readonly link?: string;
}

function header(name: string, mode: number, size: number, type: "0" | "2" | "5", link = ""): Buffer {
  if (name.length > 100) throw new Error(`tar: name longer than 100 characters: ${name}`);
  const block = Buffer.alloc(512);
  const put = (text: string, offset: number, length: number) => block.write(text.slice(0, length), offset, length, "utf8");
  const octal = (value: number, length: number) => `${value.toString(8).padStart(length - 1, "0")}\0`;
  put(name, 0, 100);
  put(octal(mode, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(0, 12), 136, 12);
  put("        ", 148, 8);
  put(type, 156, 1);
  put(link, 157, 100);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  const sum = block.reduce((a, b) => a + b, 0);
  put(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8);
  return block;
}

/** A tar archive of the entries, in order, ending with the two zero blocks. */
export function tar(entries: readonly LayerEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (e.directory) parts.push(header(`${e.name}/`, e.mode, 0, "5"));
    else if (e.link !== undefined) parts.push(header(e.name, e.mode, 0, "2", e.link));
    else {
      const content = e.content ?? Buffer.alloc(0);
      parts.push(header(e.name, e.mode, content.length, "0"), content, Buffer.alloc((512 - (content.length % 512)) % 512));
    }
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

const sha256 = (data: Buffer) => crypto.createHash("sha256").update(data).digest("hex");

/** The image `ref` (e.g. lab.local/app:1) with one layer, as an OCI archive, and its manifest's digest. */
export function ociArchive(ref: string, config: Record<string, unknown>, entries: readonly LayerEntry[]): { archive: Buffer; digest: string } {
  const layer = tar(entries);
  const imageConfig = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      created: "1970-01-01T00:00:00Z",
      config,
      rootfs: { type: "layers", diff_ids: [`sha256:${sha256(layer)}`] },
      history: [{ created: "1970-01-01T00:00:00Z", created_by: "aks-keyvault-cdktf tools:lab" }],
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: `sha256:${sha256(imageConfig)}`, size: imageConfig.length },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: `sha256:${sha256(layer)}`, size: layer.length }],
    }),
  );
  const digest = `sha256:${sha256(manifest)}`;
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", digest, size: manifest.length, annotations: { "io.containerd.image.name": ref, "org.opencontainers.image.ref.name": ref.split(":").at(-1) } }],
    }),
  );
  const blob = (data: Buffer): LayerEntry => ({ name: `blobs/sha256/${sha256(data)}`, mode: 0o644, content: data });
  const archive = tar([
    { name: "blobs", mode: 0o755, directory: true },
    { name: "blobs/sha256", mode: 0o755, directory: true },
    blob(layer),
    blob(imageConfig),
    blob(manifest),
    { name: "oci-layout", mode: 0o644, content: Buffer.from(JSON.stringify({ imageLayoutVersion: "1.0.0" })) },
    { name: "index.json", mode: 0o644, content: index },
  ]);
  return { archive, digest };
}

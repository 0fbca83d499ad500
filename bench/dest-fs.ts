// Where contenders write. By default (as root, with mkfs.ext4 and losetup) a fresh journaled ext4 mounted from
// a sparse image under bench/data/, removed afterwards.
//
// Why not just a directory beside the data: this VM's root filesystem is ext4 *without a journal*, and there
// ext4 refuses to reuse an inode freed less than 60 s (360 s if its table block is dirty) ago, scanning past
// every such inode on each file creation (fs/ext4/ialloc.c, recently_deleted()). Emptying a destination of
// 10,000 files between runs therefore made the next run's creates 2-3× slower (perf: 28% of a copy's CPU in
// recently_deleted / find_inode_bit), penalising each tool by how many files it creates per object and by
// which tool ran just before it. A journaled ext4 — what laptops and servers run — never does that scan.
//
// The image is written with zeros once and kept (bench/data/dst.img, git-ignored): the first write to any
// block of a sparse or fallocated image allocates it in the backing file, and that made the first 4 GiB
// written to a fresh image take 11 s instead of 2.4 s — a penalty for whichever run came first. mkfs and
// mount run with no discard, so blocks freed between runs stay allocated and every run writes at speed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DestFs {
  /** Directory under which each run gets its destination. */
  root: string;
  /** For the results: what the destination filesystem is. */
  describe: string;
  release(): void;
}

/**
 * Room for the large workload (4 GiB) in a directory and in MinIO at once, plus what MinIO has not yet purged
 * of earlier runs: with 12 GiB, MinIO refused s3-large ("minimum free drive threshold").
 */
const IMAGE_GIB = 24;

export function prepareDestFs(
  dataRoot: string,
  explicit: string | undefined,
  log: (m: string) => void,
  // Extra mkfs.ext4 options. bench/scale.ts needs them: mkfs's defaults (4 KiB blocks, 16 KiB per inode) give
  // 1.5 M inodes in 24 GiB and spend a block on every 64-byte file, too few and too much for a million source
  // files plus two million objects with their metadata files.
  mkfsOptions: string[] = [],
): DestFs {
  if (explicit) {
    const root = join(explicit, `ferry-bench-dst-${process.pid}`);
    mkdirSync(root, { recursive: true });
    return {
      root,
      describe: `${fsType(root)} at ${explicit} (--dest-dir)${noJournalNote(root)}`,
      release: () => rmSync(root, { recursive: true, force: true }),
    };
  }
  const mountpoint = join(dataRoot, 'dst');
  const image = join(dataRoot, 'dst.img');
  if (!canLoopMount()) {
    mkdirSync(mountpoint, { recursive: true });
    log(`destination: ${mountpoint} (not root or no mkfs.ext4/losetup: no dedicated filesystem)`);
    return {
      root: mountpoint,
      describe: `${fsType(mountpoint)} beside the data${noJournalNote(mountpoint)}`,
      release: () => rmSync(mountpoint, { recursive: true, force: true }),
    };
  }
  unmountStale(mountpoint, image);
  rmSync(mountpoint, { recursive: true, force: true });
  mkdirSync(mountpoint, { recursive: true });
  const ready = `${image}.ready`;
  if (!existsSync(ready) || readFileSync(ready, 'utf8').trim() !== `${IMAGE_GIB} GiB`) {
    log(`writing the destination image once: ${IMAGE_GIB} GiB of zeros into ${image} ...`);
    rmSync(image, { force: true });
    run('dd', [
      'if=/dev/zero',
      `of=${image}`,
      'bs=4M',
      `count=${IMAGE_GIB * 256}`,
      'conv=fsync',
      'status=none',
    ]);
    writeFileSync(ready, `${IMAGE_GIB} GiB\n`);
  }
  run('mkfs.ext4', ['-F', '-q', '-E', 'nodiscard', '-L', 'ferry-bench', ...mkfsOptions, image]);
  // Direct I/O on the backing file: one page cache (the ext4 on top), not two.
  const dev = run('losetup', ['--direct-io=on', '--find', '--show', image]).trim();
  try {
    run('mount', [dev, mountpoint]);
  } catch (err) {
    spawnSync('losetup', ['-d', dev]);
    throw err;
  }
  log(`destination: fresh journaled ext4 on ${dev} (${image}) at ${mountpoint}`);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    spawnSync('sync');
    spawnSync('umount', [mountpoint]);
    spawnSync('losetup', ['-d', dev]);
    rmSync(mountpoint, { recursive: true, force: true });
  };
  process.once('exit', release);
  return {
    root: mountpoint,
    describe: `ext4 (journaled, made fresh for the run) on a loop device over a preallocated image, direct I/O`,
    release,
  };
}

// --- internal ---

function canLoopMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  return ['mkfs.ext4', 'losetup', 'mount'].every(
    (t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0,
  );
}

/** A previous invocation killed before its cleanup: detach what it left. */
function unmountStale(mountpoint: string, image: string): void {
  const mounts = readFileSync('/proc/mounts', 'utf8');
  if (mounts.split('\n').some((l) => l.split(' ')[1] === mountpoint)) spawnSync('umount', [mountpoint]);
  const loops = spawnSync('losetup', ['-j', image], { encoding: 'utf8' }).stdout;
  for (const line of loops.split('\n')) {
    const dev = line.split(':')[0];
    if (dev) spawnSync('losetup', ['-d', dev]);
  }
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

function fsType(dir: string): string {
  const t = spawnSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).stdout.trim();
  return t === 'ext2/ext3' ? 'ext4' : t;
}

function noJournalNote(dir: string): string {
  const dev = spawnSync('df', ['--output=source', dir], { encoding: 'utf8' }).stdout.split('\n')[1]?.trim();
  const name = dev?.replace('/dev/', '');
  if (fsType(dir) !== 'ext4' || !name || !existsSync(`/sys/fs/ext4/${name}/journal_task`)) return '';
  const task = readFileSync(`/sys/fs/ext4/${name}/journal_task`, 'utf8').trim();
  return task === '<none>'
    ? ' — WARNING: ext4 without a journal; emptying it between runs slows the next run (see bench/dest-fs.ts)'
    : '';
}

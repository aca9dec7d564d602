import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { checkFiles } from '../helpers';

test('a name defined several times resolves to the kernel definition: exported, core, not tools/ or ACPICA', async () => {
  const def = (lock: string, exported: boolean) =>
    `static DEFINE_MUTEX(${lock});\nvoid fmt_helper(void)\n{\n\tmutex_lock(&${lock});\n\tmutex_unlock(&${lock});\n}\n${exported ? 'EXPORT_SYMBOL(fmt_helper);\n' : ''}`;
  const { findings } = await checkFiles({
    'kernel/w.c': `void fmt_helper(void);
static void w_dtor(void *obj)
{
	fmt_helper();
}
static struct kmem_cache *w_cachep;
void init(void) { w_cachep = kmem_cache_create("w", 64, &(struct kmem_cache_args){ .dtor = w_dtor }, 0); }
`,
    'drivers/acpi/acpica/utfmt.c': def('acpi_fmt_lock', false),
    'tools/lib/fmt.c': def('tools_fmt_lock', false),
    'lib/fmt.c': def('lib_fmt_lock', true),
    'drivers/misc/fmt.c': def('misc_fmt_lock', false),
  });
  const locks = findings.filter((f) => f.rule === 'dtor-sleeping-lock').map((f) => /sleeping lock (\S+)/.exec(f.message)![1]);
  assert.deepEqual(locks, ['fmt.c:lib_fmt_lock']);
});

test('tools/ never serves kernel code, even as the only definition; tools/ code still resolves its own', async () => {
  const dtor = (name: string) => `void coherent_alloc(void);
static void ${name}_dtor(void *obj)
{
	coherent_alloc();
}
static struct kmem_cache *${name}_cachep;
void ${name}_init(void) { ${name}_cachep = kmem_cache_create("${name}", 64, &(struct kmem_cache_args){ .dtor = ${name}_dtor }, 0); }
`;
  const { findings } = await checkFiles({
    'drivers/scsi/d.c': dtor('drv'),
    'tools/virtio/linux/dma.c': `static DEFINE_MUTEX(tools_lock);\nvoid coherent_alloc(void)\n{\n\tmutex_lock(&tools_lock);\n\tmutex_unlock(&tools_lock);\n}\n`,
    'tools/virtio/user.c': dtor('usr'),
  });
  const sleeping = findings.filter((f) => f.rule === 'dtor-sleeping-lock').map((f) => f.file.replace(/.*\/(tools|drivers)\//, '$1/'));
  assert.deepEqual(sleeping, ['tools/virtio/user.c']);
});

/**
 * Kernel annotation macros that confuse a C grammar without a preprocessor:
 * `void __init foo(void)` parses as a declaration `void __init` plus a
 * function whose *type* is `foo`. They carry nothing the analysis needs, so
 * they are blanked to spaces (same length: every offset stays true) before
 * parsing. Source: include/linux/init.h, compiler_types.h, compiler_attributes.h,
 * cache.h, linkage.h.
 */
const WORDS = [
  '__init', '__exit', '__initdata', '__exitdata', '__initconst', '__ref', '__refdata', '__cold', '__hot',
  '__sched', '__maybe_unused', '__always_unused', '__weak', '__visible', 'asmlinkage', '__always_inline', 'noinline',
  'notrace', '__must_check', '__cacheline_aligned', '__cacheline_aligned_in_smp', '____cacheline_aligned',
  '____cacheline_aligned_in_smp', '__read_mostly', '__ro_after_init', '__noreturn', '__latent_entropy', '__pure',
  '__attribute_const__', '__packed', '__used', '__nocfi', 'noinstr', '__noinstr', '__cpuidle', '__kprobes',
  '__init_or_module', '__meminit', '__meminitdata', '__net_init', '__net_exit', '__net_initdata', '__head', '__no_sanitize_address',
  '__randomize_layout', '__no_randomize_layout', '__lockfunc', '__deprecated', '__no_kcsan', '__flatten', '__naked',
  '__always_used', '__initdata_or_module', '__exit_p', '__devinit', '__devexit', '__inline', '__init_memblock',
  '__ref_memblock', '__mmzone_init', '__noclone', '__noendbr', '__nostackprotector', '__no_stack_protector',
  '__fix_address', '__rust_helper', '__bpf_kfunc', 'asmlinkage_protect', '__iomem', '__user', '__percpu', '__rcu',
  '__force', '__kernel', '__safe', '__nocast', '__private', '__bitwise', '__counted_by_ptr',
];
/** Annotations with an argument list: `__releases(x)`, `__printf(1, 2)`, `__aligned(8)`. */
const CALLS = [
  '__releases', '__acquires', '__must_hold', '__cond_acquires', '__cond_lock', '__printf', '__scanf', '__section', '__aligned',
  '__alloc_size', '__counted_by', '__malloc', '__realloc_size', '__assume_aligned', '__no_sanitize_or_inline',
  '__diag_ignore', '__nonstring', '__cleanup', '__access', '__designated_init',
];

const WORD_RE = new RegExp(`\\b(?:${WORDS.join('|')})\\b`, 'g');
const CALL_RE = new RegExp(`\\b(?:${CALLS.filter((c) => c !== '__cond_lock').join('|')})\\s*\\(`, 'g');

const blank = (s: string) => s.replace(/[^\n]/g, ' ');

export function blankAnnotations(text: string): string {
  let out = text.replace(WORD_RE, blank);
  if (out.indexOf('__', 0) < 0) return out;
  CALL_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  const parts: string[] = [];
  let pos = 0;
  while ((m = CALL_RE.exec(out)) !== null) {
    const open = m.index + m[0].length - 1;
    let depth = 0;
    let end = -1;
    for (let i = open; i < out.length && i < open + 400; i++) {
      if (out[i] === '(') depth++;
      else if (out[i] === ')' && --depth === 0) {
        end = i + 1;
        break;
      }
    }
    if (end < 0) continue;
    parts.push(out.slice(pos, m.index), blank(out.slice(m.index, end)));
    pos = end;
    CALL_RE.lastIndex = end;
  }
  if (parts.length) out = parts.join('') + out.slice(pos);
  return out;
}

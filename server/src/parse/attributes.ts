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

/**
 * `BPF_CALL_2(bpf_foo, struct bpf_map *, map, void *, key) {` (include/linux/filter.h BPF_CALL_x:
 * defines `u64 bpf_foo(u64, ...)` around a static inline ____bpf_foo() holding the body) becomes,
 * in place, `u64        bpf_foo( struct bpf_map *  map, void *  key) {`: the macro word turns into
 * the return type, the comma after the name into the `(`, the commas between a type and its
 * name into spaces. Offsets stay true (the name does not move, except for BPF_CALL_0, whose
 * `u64 name(` is written where the macro was).
 */
const BPF_CALL_RE = /^(?:NOTRACE_)?BPF_CALL_([0-5])\s*\(/gm;
export function rewriteBpfCalls(text: string): string {
  if (text.indexOf('BPF_CALL_') < 0) return text;
  const chars = text.split('');
  BPF_CALL_RE.lastIndex = 0;
  for (let m: RegExpExecArray | null; (m = BPF_CALL_RE.exec(text)) !== null;) {
    const open = m.index + m[0].length - 1;
    // Top-level commas and the closing parenthesis of the macro's list.
    const commas: number[] = [];
    let depth = 0;
    let close = -1;
    for (let i = open; i < text.length && i < open + 2000; i++) {
      const c = text[i];
      if (c === '(') depth++;
      else if (c === ')' && --depth === 0) {
        close = i;
        break;
      } else if (c === ',' && depth === 1) commas.push(i);
    }
    if (close < 0 || !/^\s*\{/.test(text.slice(close + 1, close + 40))) continue;
    const n = Number(m[1]);
    if (commas.length !== 2 * n) continue;
    for (let i = m.index; i <= open; i++) chars[i] = ' ';
    if (n === 0) {
      const name = text.slice(open + 1, close).trim();
      const head = `u64 ${name}(`;
      for (let i = m.index; i < close; i++) chars[i] = text[i] === '\n' ? '\n' : ' ';
      for (let i = 0; i < head.length && m.index + i < close; i++) chars[m.index + i] = head[i];
      continue;
    }
    chars[m.index] = 'u';
    chars[m.index + 1] = '6';
    chars[m.index + 2] = '4';
    chars[commas[0]] = '(';
    for (let k = 1; k < commas.length; k += 2) chars[commas[k]] = ' ';
  }
  return chars.join('');
}

export function blankAnnotations(text: string): string {
  let out = rewriteBpfCalls(text).replace(WORD_RE, blank);
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

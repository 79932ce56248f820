import YAMLSyntax
import Diagnostics
for t in ["a: x\u{2028}y\nb: z\n", "name: \"名前 🚀 e\u{301}\u{2028}x\"\r\nnote: a\tb\r\nbad: x: y\r\n"] {
  let s = YAMLParser.parse(t)
  let b = Array(t.utf8)
  for d in s.diagnostics { print(d.message, d.range, s.lineIndex.position(of: d.range.start, unit: .utf16), String(decoding: b[d.range.start...], as: UTF8.self).debugDescription) }
}

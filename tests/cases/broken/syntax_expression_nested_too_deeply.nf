module Sales

nanoflow ACT_Deep($count: Integer) returns Integer {
  return abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs($count)))))))))))))))))))))))))))))))))))))))))
//~ NF008 @174 nested too deeply
}

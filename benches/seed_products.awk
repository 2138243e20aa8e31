# Prints SQL inserting N products (N from -v n=...) for sellers 1..S (-v sellers=...), valid on SQLite and
# PostgreSQL. Names and descriptions use a small vocabulary so searches hit many, few or no products.
BEGIN {
  srand(42)
  split("아이폰,자전거,책상,캠핑의자,노트북,운동화,커피머신,전기밥솥,소설책,레고", words, ",")
  split("미개봉,깨끗해요,급처,직거래,택배가능,생활기스", notes, ",")
  split("fashion,appliances,furniture,beauty,tickets,digital,books,hobby,sports,etc", cats, ",")
  now = 1795000000000
  for (i = 1; i <= n; i++) {
    if ((i - 1) % 500 == 0) {
      if (i > 1) print ";"
      printf "INSERT INTO products (seller_id, name, price, description, category, location, open_chat_url, search_text, status, created_at, updated_at, listed_at) VALUES\n"
    } else {
      printf ",\n"
    }
    r = rand()
    status = r < 0.80 ? "on_sale" : (r < 0.90 ? "reserved" : (r < 0.95 ? "hidden" : "sold"))
    w = words[int(rand() * 10) + 1]
    note = notes[int(rand() * 6) + 1]
    name = sprintf("%s %d호", w, i)
    description = sprintf("%s 상품입니다. %s. 상태 좋아요.", w, note)
    printf "(%d, '%s', %d, '%s', '%s', '강남역', 'https://open.kakao.com/o/bench%d', '%s', '%s', %d, %d, %d)", \
      (i % sellers) + 1, name, (int(rand() * 500) + 1) * 1000, description, cats[int(rand() * 10) + 1], i, \
      tolower(name) "\n" tolower(description), status, now + i * 1000, now + i * 1000, now + i * 1000
  }
  print ";"
}

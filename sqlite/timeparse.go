package sqlite

import "time"

// parseStoredTime reads a time in timeLayout. Every timestamp of every row
// read goes through here, and time.Parse, which interprets the layout
// anew on each call, was 8% of the API's CPU listing calls: this reads
// the fixed positions directly. Anything not exactly in the layout goes to
// time.Parse, for its error message.
func parseStoredTime(s string) (time.Time, error) {
	if len(s) != len(timeLayout) || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[26] != 'Z' {
		return time.Parse(timeLayout, s)
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	minute, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
	micro, ok7 := digits(s[20:26])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) ||
		month < 1 || month > 12 || day < 1 || (day > 28 && day > daysIn(time.Month(month), year)) ||
		hour > 23 || minute > 59 || sec > 59 {
		return time.Parse(timeLayout, s)
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, micro*1000, time.UTC), nil
}

// digits is the value of a run of ASCII digits; false if one is not.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// daysIn is the number of days of month in year: time.Date would carry
// February 30 into March, where time.Parse refuses it. Only days past the
// 28th need asking.
func daysIn(month time.Month, year int) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

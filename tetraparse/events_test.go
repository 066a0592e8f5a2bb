package tetraparse

// nsEvent is a process_exec of a PID namespace, with a docker id but no
// pod: the reference's rules keep it.
const nsEvent = `{"process_exec":{"process":{"exec_id":"b","pid":2,"docker":"a51959123c3ba99a9f50a700",` +
	`"ns":{"pid":{"inum":4026531836}}}},"time":"2023-10-06T22:03:57Z"}`

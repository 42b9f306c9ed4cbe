package calls

// Active returns how many calls this node runs now: placed and not yet
// ended (their final step stored or given up).
func (s *Service) Active() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.running)
}

"""Inspection plans: the draw (双随机) and its verification, conflicts (回避), teams, visits, the
public results (一公开), and who may see and do what across regions."""

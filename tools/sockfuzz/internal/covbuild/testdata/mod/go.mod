module example.com/covmod

go 1.26
